"""Entry integrity: checksums on read, no non-finite entries, dead writers' temp files swept."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import time

import pytest
import torch
from click.testing import CliRunner

from sen_core._io import atomic_write
from sen_core.cli import cli
from sen_core.neuron.cache import FeatureCache


def _flip(path, where: float = 0.5) -> None:
    """Invert one byte of the tensor data (after the safetensors header)."""
    data = bytearray(path.read_bytes())
    start = 8 + int.from_bytes(data[:8], "little")
    data[start + int((len(data) - start) * where)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_tensor_byte_is_a_miss_and_rewritten(cache):
    """A byte flipped in the tensor data: the read is a miss, the file is deleted, a put rewrites it."""
    x = torch.arange(64, dtype=torch.float32)
    cache.put("n", "k", {"x": x}, {"layout": "L"})
    path = cache.path("n", "k")
    _flip(path)
    assert cache.get("n", "k") is None and not path.exists()
    assert (cache.hits, cache.misses, cache.corrupt) == (0, 1, 1)
    assert cache.put("n", "k", {"x": x}, {"layout": "L"}) is True
    tensors, meta = cache.get("n", "k")
    assert torch.equal(tensors["x"], x) and meta == {"layout": "L"}


def test_changed_metadata_or_missing_checksum_is_a_miss(cache, tmp_path):
    """Edited metadata, and an entry written without a checksum (plain safetensors), are misses."""
    from safetensors.torch import save_file

    cache.put("n", "a", {"x": torch.ones(4)}, {"layout": "frames"})
    path = cache.path("n", "a")
    path.write_bytes(path.read_bytes().replace(b'"frames"', b'"framez"'))
    cache.path("n", "b").parent.mkdir(parents=True)
    save_file({"x": torch.ones(4)}, str(cache.path("n", "b")))
    assert cache.get("n", "a") is None and cache.get("n", "b") is None
    assert cache.corrupt == 2 and cache.info()["entries"] == 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_entries_are_never_written(cache, bad):
    """A put holding NaN or inf is refused and counted; nothing reaches the disk."""
    x = torch.zeros(8)
    x[3] = bad
    assert cache.put("n", "k", {"x": x, "ids": torch.arange(3)}) is False
    assert cache.refused == 1 and not cache.path("n", "k").exists()
    assert cache.get("n", "k") is None and cache.info()["entries"] == 0


def _killed_writer(path: str, ready) -> None:
    def write(tmp) -> None:
        tmp.write_bytes(b"partial")
        ready.set()
        time.sleep(60)  # killed here, mid-write

    atomic_write(path, write, fsync=False)


def test_killed_writer_temp_file_is_removed_on_open(tmp_path):
    """A SIGKILLed writer's temp file goes at the next open; a live writer's stays; info counts."""
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    target = tmp_path / "n" / "ab" / "abc.safetensors"
    target.parent.mkdir(parents=True)
    proc = ctx.Process(target=_killed_writer, args=(str(target), ready))
    proc.start()
    assert ready.wait(30) and proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    (dead,) = target.parent.glob(".*.tmp")
    assert f".{proc.pid}." in dead.name
    live = target.with_name(f".{target.name}.{os.getpid()}.x1y2.tmp")  # a writer still at work
    live.write_bytes(b"partial")
    cache = FeatureCache(tmp_path)
    assert (cache.tmp_found, cache.tmp_removed) == (2, 1)
    assert not dead.exists() and live.exists()
    info = cache.info()
    assert (info["tmp_found"], info["tmp_removed"], info["entries"]) == (2, 1, 0)
    live.unlink()
    os.utime(target.parent, None)
    stale = target.with_name(f".{target.name}.{os.getpid()}.old.tmp")  # live pid, but an hour old
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    res = CliRunner().invoke(cli, ["cache", "info", "--dir", str(tmp_path)])
    assert res.exit_code == 0 and "temp files: 1 found, 1 removed (writer gone)" in res.output
    assert not stale.exists()


def test_corrupt_entries_recomputed_in_training(tmp_path, tiny):
    """Flipped bytes in every cached entry: each read is a miss, recomputed, and training gives the
    uncached run's metrics (the issue's case read them as hits: loss 3.67309 instead of 3.67270)."""
    from sen_core.config import load_run_config
    from sen_core.train import train

    config = load_run_config(str(tiny), ["train.steps=2"])
    plain = train(config, tmp_path / "plain", progress=False)
    root = tmp_path / "cache"
    train(config, tmp_path / "fill", progress=False, feature_cache=FeatureCache(root))
    entries = sorted(root.rglob("*.safetensors"))
    assert len(entries) == 16  # one per clip read (train and validation)
    for i, p in enumerate(entries):
        _flip(p, where=(i + 0.5) / len(entries))
    cache = FeatureCache(root)
    again = train(config, tmp_path / "again", progress=False, feature_cache=cache)
    assert again == pytest.approx(plain, abs=1e-5)
    assert (cache.corrupt, cache.misses, cache.hits) == (16, 16, 0)
    assert json.loads((tmp_path / "again" / "final.json").read_text())["step"] == 2
    fresh = FeatureCache(root)
    assert all(fresh.get(*_key(p)) is not None for p in entries) and fresh.corrupt == 0


def _key(path) -> tuple[str, str]:
    return path.parent.parent.name, path.name.removesuffix(".safetensors")
