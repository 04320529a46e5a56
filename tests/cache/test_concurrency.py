"""Two processes writing the same entry: every read sees one writer's whole file, never a mix."""

import multiprocessing as mp

import torch
from _cache_fakes import hammer

from sen_core.neuron.cache import FeatureCache


def test_two_writers_same_key(tmp_path):
    """Concurrent puts of one key never expose a partial or mixed file to a reader."""
    ctx = mp.get_context("fork")  # separate processes without paying torch's import again
    barrier = ctx.Barrier(2)
    writers = [
        ctx.Process(target=hammer, args=(str(tmp_path), v, 150, barrier)) for v in (1.0, 2.0)
    ]
    for w in writers:
        w.start()
    reader = FeatureCache(tmp_path)
    seen = set()
    while any(w.is_alive() for w in writers):
        hit = reader.get("neuron-a", "same-input")
        if hit is not None:
            tensors, meta = hit
            x = tensors["x"]
            assert x.shape == (64, 64)
            assert torch.equal(x, torch.full_like(x, float(meta["writer"])))
            seen.add(meta["writer"])
    for w in writers:
        w.join()
        assert w.exitcode == 0
    hit = reader.get("neuron-a", "same-input")
    assert hit is not None
    final, meta = hit
    assert torch.equal(final["x"], torch.full((64, 64), float(meta["writer"])))
    assert seen and seen <= {"1.0", "2.0"}
    assert not list(tmp_path.rglob("*.tmp"))
    assert reader.info()["entries"] == 1
