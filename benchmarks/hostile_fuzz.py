"""Random hostile configs, sweep files and checkpoints (issue 21), beyond the suite's fixed cases.

Usage: ``nice -n 10 .venv/bin/python benchmarks/hostile_fuzz.py [N] [SEED] [--train K]``
(default 300 cases, seed 2024, K=20 accepted configs trained for one step). The seed is not
one the suite uses.

Each case is one command: ``sen config show`` with hostile overrides of the size-like, strict and
split keys; ``sen sweep --dry-run`` of a sweep file with random dimensions and mistyped keys; or
``sen eval`` / ``sen train --resume`` of a run whose checkpoint was swapped, symlinked or forged
(checksums recomputed). An outcome is a clean refusal (exit 2, one ``error:`` line -- or a
header and one ``  - `` line per problem when a case has several --, nothing written), an
acceptance (exit 0), or bad (a traceback, another exit code, stray lines, files written, a
refusal taking more than 10 s). Then up to K accepted configs are trained one step: each must
exit 0, or 2 with its run dir saying failed. Prints the counts; ``bad`` must be 0.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))
from _fuzz_cases import config_text, partial_run_dirs
from _hostile_cases import forge_checkpoint, invoke, tree_digest, write_sweep

SIZE_KEYS = [
    "data.params.num_samples", "data.params.frames", "data.params.image_size",
    "data.params.num_points", "model.neurons.0.params.image_size",
    "model.neurons.0.params.tokens_per_frame", "model.heads.0.params.num_classes",
    "model.width", "model.attn_heads", "model.token_budget", "model.prompt_tokens", "model.depth",
    "model.heads.0.weight", "model.distill_weight", "model.grad_steps", "train.batch_size",
]  # fmt: skip
SLOWEST = [0.0, 0.0]  # seconds of the slowest accepted case and of the slowest refusal
SPLITS = ["val", "vall", "test", "tset", "train", "", "VAL", "val ", "x" * 300, "../val", "7"]


def _hostile_number(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice(["true", "false", "'yes'", "null", "[]", "{}"])
    if kind == 1:
        return rng.choice([".nan", ".inf", "-.inf", "1e999", "-0.0"])
    if kind == 2:
        return f"{rng.randrange(1, 64)}.0"  # a float where an integer belongs
    if kind == 3:
        return f"1e{rng.randrange(2, 40)}"
    if kind == 4:
        return str(-rng.randrange(0, 10**6))
    if kind == 5:
        return str(2 ** rng.randrange(8, 70))
    return str(rng.choice([1, 2, 4, 8, 16, 32, 64]))  # often legal: acceptances are measured too


def _config_case(rng: random.Random) -> list[str]:
    ovr = [f"{rng.choice(SIZE_KEYS)}={_hostile_number(rng)}" for _ in range(rng.randrange(1, 3))]
    if rng.random() < 0.3:
        ovr.append(f"train.eval_split='{rng.choice(SPLITS)}'")
    return ["config", "show", "run.yaml", *ovr]


def _sweep_case(rng: random.Random) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if rng.random() < 0.6:
        extra["axes"] = {
            f"train.x{i}": list(range(rng.choice([1, 2, 3, 10, 100])))
            for i in range(rng.randrange(0, 30))
        }
    if rng.random() < 0.4:
        samples = rng.choice([1, 5, 10**4, 10**5, 10**9, True, 2.5, -1, "many"])
        axis = rng.choice([[0.1, 0.2], {"low": 1, "high": 2, "integer": rng.choice([True, "yes", 1])},
                           {"low": 0, "high": float("inf")}, {"low": 2, "high": 1}])  # fmt: skip
        extra["random"] = {"samples": samples, "seed": rng.choice([0, -5, 2**40, True, 1.5]),
                           "axes": {"train.lr": axis}}  # fmt: skip
    if rng.random() < 0.4:
        extra["seeds"] = rng.choice([[True], [1.0], [-1], ["0"], list(range(rng.randrange(1, 200))),
                                     [2**33]])  # fmt: skip
    if rng.random() < 0.3:
        extra["trial"] = rng.choice(
            ["os:system", "subprocess:call", "builtins:print", "nonexistent.module:fn", "json:dumps",
             "sen_core.sweep.trial:flatten_metrics", "sen_core.sweep.trial:train_trial",
             "sen_core.sweep.trial", "a:b:c", "sen_core.errors:SenError"]
        )  # fmt: skip
    return extra


def _classify(args: list[str], workdir: Path, watch: Path | None = None) -> str:
    before = tree_digest(watch or workdir)
    t0 = time.perf_counter()
    code, out, exc = invoke(args)
    dt = time.perf_counter() - t0
    if exc is not None:
        return f"bad: traceback {type(exc).__name__}: {str(exc)[:200]}"
    SLOWEST[0 if code == 0 else 1] = max(SLOWEST[0 if code == 0 else 1], dt)
    if code == 0:
        return "accepted"  # (a sweep of up to MAX_TRIALS trials takes its time to plan)
    if dt > 10:
        return f"bad: a refusal took {dt:.1f} s"
    lines = out.strip().splitlines()
    # one line, or a header line and one "  - " line per problem (every problem is reported)
    if (
        code != 2
        or not lines[0].startswith("error:")
        or not all(ln.startswith("  - ") for ln in lines[1:])
    ):
        return f"bad: exit {code}, {len(lines)} lines: {out[-200:]}"
    if tree_digest(watch or workdir) != before:
        return "bad: files written"
    return "refused"


def _trained_runs(root: Path) -> None:
    (root / "run.yaml").write_text(config_text())
    for name, seed in (("a", 0), ("b", 1)):
        code, out, _ = invoke(["train", str(root / "run.yaml"), f"name={name}", f"train.seed={seed}",
                               "--run-dir", str(root / "runs" / name), "--no-progress"])  # fmt: skip
        assert code == 0, out


def _checkpoint_case(rng: random.Random, root: Path, i: int) -> tuple[list[str], Path]:
    work = root / f"c{i}"
    shutil.rmtree(root / f"c{i - 1}", ignore_errors=True)  # keep the digests of ck cheap
    shutil.copytree(root / "runs" / "a", work / "a")
    step = work / "a" / "checkpoints" / "step_000001"
    other = root / "runs" / "b" / "checkpoints" / "step_000001"
    how = rng.choice(["swapped", "symlinked", "hash", "nan", "inf", "huge"])
    if how == "swapped":
        shutil.rmtree(step)
        shutil.copytree(other, step)
    elif how == "symlinked":
        shutil.rmtree(step)
        step.symlink_to(other, target_is_directory=True)
    else:
        forge_checkpoint(step, how)
    run = work / "a"
    if rng.random() < 0.5:
        return ["eval", str(run), "--batches", "1"], work
    return ["train", str(run / "config.yaml"), "--resume", "--run-dir", str(run),
            "--no-progress"], work  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=300)
    ap.add_argument("seed", nargs="?", type=int, default=2024)
    ap.add_argument("--train", type=int, default=20, help="accepted configs trained one step")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    bad: list[str] = []
    accepted: list[list[str]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root, ck = Path(tmp) / "w", Path(tmp) / "ck"
        root.mkdir()
        ck.mkdir()
        os.chdir(root)
        (root / "run.yaml").write_text(config_text())
        _trained_runs(ck)
        for i in range(a.n):
            kind = rng.choices(["config", "sweep", "checkpoint"], weights=[5, 4, 1])[0]
            if kind == "config":
                args = _config_case(rng)
                outcome = _classify(args, root)
                if outcome == "accepted":
                    accepted.append(args[3:])
            elif kind == "sweep":
                write_sweep(root, _sweep_case(rng), f"s{i}.yaml")
                outcome = _classify(["sweep", f"s{i}.yaml", "--dry-run"], root)
                (root / f"s{i}.yaml").unlink()
            else:
                args, work = _checkpoint_case(rng, ck, i)
                outcome = _classify(args, work, watch=ck)
                outcome = "bad: a tampered checkpoint loaded" if outcome == "accepted" else outcome
            counts[kind][outcome.split(":")[0]] += 1
            if outcome.startswith("bad"):
                bad.append(f"{kind} {i}: {outcome}")
        trained = collections.Counter[str]()
        for ovr in accepted[: a.train]:
            shutil.rmtree(root / "runs", ignore_errors=True)
            code, out, exc = invoke(["train", "run.yaml", *ovr, "train.steps=1", "--no-progress"])
            partial = partial_run_dirs(root / "runs", code)
            ok = exc is None and code in (0, 2) and partial is None
            trained["ok" if ok else "bad"] += 1
            if not ok:
                bad.append(f"train {ovr}: exit {code} {exc!r} {partial} {out[-200:]}")
    print(f"hostile_fuzz: {a.n} cases, seed {a.seed}, {time.perf_counter() - t0:.0f} s")
    for kind, c in counts.items():
        print(f"  {kind:10s} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    print(f"  slowest    accepted {SLOWEST[0]:.1f} s, refusal {SLOWEST[1]:.2f} s")
    print("  trained    " + ", ".join(f"{k} {v}" for k, v in sorted(trained.items())))
    for line in bad[:20]:
        print("  BAD", line)
    print(f"bad: {len(bad)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
