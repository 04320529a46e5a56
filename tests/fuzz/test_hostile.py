"""Issue 21's hostile inputs: each is refused with exit 2 and one line naming the key, before
anything is built or written; a failed run never says running; another run's checkpoint, or one
holding NaN/inf/huge weights, is refused by `sen eval` and `--resume` without changing a file.

benchmarks/hostile_fuzz.py draws random combinations of these (with a seed the suite does not use).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _fuzz_cases import config_text
from _hostile_cases import (
    CONFIG_CASES,
    SWEEP_CASES,
    forge_checkpoint,
    invoke,
    refusal,
    tree_digest,
    write_sweep,
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text(config_text())
    return tmp_path


@pytest.mark.parametrize("command", ["show", "train"])
@pytest.mark.parametrize("overrides, expect", CONFIG_CASES, ids=[c[1][:30] for c in CONFIG_CASES])
def test_config_refused_at_validation(
    workdir: Path, command: str, overrides: list[str], expect: str
) -> None:
    """`sen config show` and `sen train`: exit 2, one line naming the key, no runs/ directory."""
    args = ["config", "show"] if command == "show" else ["train"]
    extra = ["--no-progress"] if command == "train" else []
    assert refusal([*args, "run.yaml", *overrides, *extra], workdir, expect) is None


@pytest.mark.parametrize("extra, expect", SWEEP_CASES, ids=[c[1] for c in SWEEP_CASES])
def test_sweep_refused_before_planning(workdir: Path, extra: dict, expect: str) -> None:
    """`sen sweep --dry-run` (and so `sen sweep`): refused when the file is read, in well under a second."""
    import time

    write_sweep(workdir, extra)
    t0 = time.perf_counter()
    assert refusal(["sweep", "sweep.yaml", "--dry-run"], workdir, expect) is None
    assert time.perf_counter() - t0 < 5
    assert refusal(["sweep", "sweep.yaml", "--out", "out"], workdir, expect) is None


def test_sweep_trial_count_is_arithmetic() -> None:
    """count_trials multiplies the dimensions: 2^40 is counted, not expanded."""
    from sen_core.sweep.spec import MAX_TRIALS, SweepSpec, count_trials

    spec = SweepSpec.model_construct(
        base="run.yaml",
        axes={f"k{i}": [1, 2] for i in range(40)},
        zip=[],
        random=None,
        seeds=[0, 1, 2],
    )
    assert count_trials(spec) == 3 * 2**40 > MAX_TRIALS


def test_batch_larger_than_the_split_leaves_nothing(workdir: Path) -> None:
    """train.batch_size=100 on 8 samples: exit 2 with the reason, and no run directory at all."""
    assert refusal(["train", "run.yaml", "train.batch_size=100", "--no-progress"], workdir,
                   "fewer than one batch") is None  # fmt: skip


def test_failure_after_start_says_failed(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that fails once run.json exists is marked failed with the error, never running."""
    from sen_core.errors import SenError
    from sen_core.train import engine

    def broken(*_a: object, **_k: object) -> None:
        raise SenError("tracker refused to open")

    monkeypatch.setattr(engine, "open_run_trackers", broken)
    code, out, exc = invoke(["train", "run.yaml", "--no-progress"])
    assert (code, exc) == (2, None) and "tracker refused" in out
    info = json.loads((workdir / "runs" / "fz" / "run.json").read_text())
    assert info["status"] == "failed" and "tracker refused" in info["error"]


# ---- checkpoints -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two trained one-step runs of the same network: a (seed 0) and b (seed 1)."""
    root = tmp_path_factory.mktemp("ckpt")
    (root / "run.yaml").write_text(config_text())
    for name, seed in (("a", 0), ("b", 1)):
        code, out, exc = invoke(
            ["train", str(root / "run.yaml"), f"name={name}", f"train.seed={seed}",
             "--run-dir", str(root / "runs" / name), "--no-progress"]
        )  # fmt: skip
        assert code == 0 and exc is None, out
    return root


def _tamper(root: Path, how: str) -> Path:
    """A copy of run a whose checkpoint was tampered with ``how``."""
    work = root / f"t_{how}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "runs" / "a", work / "a")
    step = work / "a" / "checkpoints" / "step_000001"
    other = root / "runs" / "b" / "checkpoints" / "step_000001"
    if how == "swapped":
        shutil.rmtree(step)
        shutil.copytree(other, step)
    elif how == "symlinked":
        shutil.rmtree(step)
        step.symlink_to(other, target_is_directory=True)
    else:
        forge_checkpoint(step, how)
    return work


@pytest.mark.parametrize(
    "how, expect",
    [
        ("swapped", "belongs to another run"),
        ("symlinked", "a run loads only checkpoints it wrote"),
        ("hash", "belongs to another run"),
        ("nan", "NaN or infinity"),
        ("inf", "NaN or infinity"),
        ("huge", "no trained weight is that large"),
    ],
)
def test_foreign_or_damaged_checkpoint_refused(two_runs: Path, how: str, expect: str) -> None:
    """`sen eval` and `sen train --resume` refuse it in one line, and change no file."""
    work = _tamper(two_runs, how)
    run, other = work / "a", two_runs / "runs" / "b"
    other_before = tree_digest(other)  # a symlinked step directory points into run b
    assert refusal(["eval", str(run), "--batches", "1"], work, expect) is None
    resume = ["train", str(run / "config.yaml"), "--resume", "--run-dir", str(run), "--no-progress"]
    assert refusal(resume, work, expect) is None
    assert tree_digest(other) == other_before


def test_eval_split_checked_before_building(two_runs: Path) -> None:
    """`sen eval --split vall`: the dataset's splits, with a suggestion."""
    run = two_runs / "runs" / "a"
    assert refusal(["eval", str(run), "--split", "vall"], run, "did you mean 'val'") is None


# ---- the mechanisms, for third-party components too ----------------------------------------------
def test_size_bounds_apply_to_any_component() -> None:
    """SIZE_BOUNDS bound a well-known name on any spec; a spec's param_bounds replace them."""
    from sen_core.params import param_problems
    from sen_core.specs import DatasetSpec

    spec = DatasetSpec(name="acme/clips@1", summary="s", factory="acme.m:f",
                       params={"frames": 8, "depth": 1}, param_bounds={"depth": (0, 4)})  # fmt: skip
    assert param_problems(spec, {"frames": 8, "depth": 4}) == []
    assert param_problems(spec, {"frames": 10**9, "depth": 5}) == [
        "params.frames: dataset 'acme/clips@1': must be at most 4096, got 1000000000",
        "params.depth: dataset 'acme/clips@1': must be at most 4, got 5",
    ]


def test_declared_splits() -> None:
    """Default splits train/val/test with a suggestion; None accepts any name."""
    from sen_core.specs import DatasetSpec

    spec = DatasetSpec(name="acme/clips@1", summary="s", factory="acme.m:f")
    assert spec.split_problem("val") is None
    assert "did you mean 'test'" in (spec.split_problem("tset") or "")
    anything = DatasetSpec(name="acme/clips@1", summary="s", factory="acme.m:f", splits=None)
    assert anything.split_problem("fold-3") is None


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=0, max_size=12), seeds=st.integers(1, 30))
def test_trial_bound_is_the_product(sizes: list[int], seeds: int) -> None:
    """A spec is refused exactly when the product of its dimensions exceeds MAX_TRIALS."""
    import math

    from pydantic import ValidationError

    from sen_core.sweep.spec import MAX_TRIALS, SweepSpec

    data = {"base": "run.yaml", "axes": {f"k{i}": list(range(n)) for i, n in enumerate(sizes)},
            "seeds": list(range(seeds))}  # fmt: skip
    n = math.prod(sizes) * seeds
    try:
        SweepSpec.model_validate(data)
        assert n <= MAX_TRIALS
    except ValidationError as exc:
        assert n > MAX_TRIALS and f"{n:,} trials" in str(exc)
