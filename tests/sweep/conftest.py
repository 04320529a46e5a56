"""Sweep test fixtures: a run config, sweep files using the fake trial, marker counting."""

from __future__ import annotations

import contextlib
import textwrap
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

RUN = """\
model:
  neurons: [{name: sen/efficientnet-lite0-imagenet@1, key: frames, input: frames}]
  anchor: frames
  depth: 1
  width: 64
train: {steps: 2}
"""

SWEEP = """\
base: run.yaml
trial: _sweep_fakes:fake_trial
axes:
  model.depth: [0, 1, 2]
  model.width: [64, 128]
seeds: [0, 1]
metrics: [score, loss/total]
cache: false
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in tmp_path, keep the feature cache there, and let spawned workers import the fakes."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEN_FAKE_FAIL_DEPTH", raising=False)
    monkeypatch.delenv("SEN_FAKE_SLEEP", raising=False)
    import os

    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    )


@pytest.fixture
def sweep_file(tmp_path: Path):
    """sweep_file(extra_yaml='', text=SWEEP) -> path of sweep.yaml next to run.yaml."""

    def _make(extra: str = "", text: str = SWEEP, name: str = "sweep.yaml") -> Path:
        (tmp_path / "run.yaml").write_text(RUN)
        path = tmp_path / name
        path.write_text(textwrap.dedent(text) + textwrap.dedent(extra))
        return path

    return _make


def executions(sweep_dir: Path) -> Counter:
    """How many times each trial (by config hash) started, from the fake trial's marker files."""
    markers = Path(sweep_dir) / "markers"
    return (
        Counter(p.name.split(".")[0] for p in markers.iterdir()) if markers.is_dir() else Counter()
    )


@pytest.fixture
def count_executions():
    return executions


def _group_members(pgid: int) -> list[int]:
    """Live pids whose process group is pgid (Linux /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"multiprocessing.resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@pytest.fixture
def sigkill_sweep():
    """sigkill_sweep(proc): SIGKILL a sweep started in a session of its own -- the driver and its
    workers -- as a crash would, but spare multiprocessing's resource tracker: it then unlinks the
    pool's named semaphores, which a kill of the whole group leaves in /dev/shm (5 a sweep)."""
    import os
    import signal

    def kill(proc) -> None:
        if not Path("/proc/self/stat").is_file():  # no /proc: the whole group
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            for pid in _group_members(proc.pid):
                if not _is_resource_tracker(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        proc.wait()

    return kill
