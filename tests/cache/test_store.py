"""FeatureCache storage: round trip, LRU eviction under a size bound, info and clear."""

import os

import pytest
import torch

from sen_core.errors import SenError
from sen_core.neuron.cache import FeatureCache, content_hash, default_root, parse_size


def _put(cache, key, value=0.0, n=256):
    cache.put("neuron", key, {"x": torch.full((n,), value)}, {"k": key})
    return cache.path("neuron", key)


def test_round_trip_and_miss(cache):
    """put then get returns equal tensors and the metadata; an absent key is a miss."""
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    mask = torch.tensor([True, False, True])
    cache.put("n1", "abc123", {"x": x, "mask": mask}, {"layout": "L"})
    tensors, meta = cache.get("n1", "abc123")
    assert (
        torch.equal(tensors["x"], x)
        and torch.equal(tensors["mask"], mask)
        and meta == {"layout": "L"}
    )
    assert cache.get("n1", "other") is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_lru_eviction_keeps_recently_used(tmp_path):
    """evict removes the least recently used entries first; a hit refreshes an entry."""
    cache = FeatureCache(tmp_path, max_bytes="1GB")
    paths = [_put(cache, f"k{i}") for i in range(4)]
    for i, p in enumerate(paths):  # k0 oldest ... k3 newest
        os.utime(p, (1_000_000 + i, 1_000_000 + i))
    assert cache.get("neuron", "k0") is not None  # k0 becomes the most recently used
    size = paths[0].stat().st_size
    assert cache.evict(target_bytes=2 * size) == 2
    assert sorted(p.name.split(".")[0] for p in tmp_path.rglob("*.safetensors")) == ["k0", "k3"]


def test_size_stays_bounded(tmp_path):
    """With room for about three entries, puts evict so the total never passes the bound."""
    probe = FeatureCache(tmp_path / "probe")
    size = _put(probe, "p").stat().st_size
    cache = FeatureCache(tmp_path / "c", max_bytes=3 * size + size // 2)
    for i in range(10):
        _put(cache, f"k{i}")
        assert cache.info()["bytes"] <= cache.max_bytes
    assert cache.info()["entries"] in (2, 3)
    assert cache.get("neuron", "k9") is not None and cache.get("neuron", "k0") is None


def test_info_and_clear(cache):
    """info counts entries and bytes per neuron id (with the name recorded); clear empties it."""
    _put(cache, "a")
    _put(cache, "b")
    cache.describe_neuron("neuron", {"name": "sen/fake@1", "key": "frames"})
    info = cache.info()
    assert info["entries"] == 2 and info["location"] == str(cache.root)
    assert (
        info["neurons"]["neuron"]["entries"] == 2
        and info["neurons"]["neuron"]["name"] == "sen/fake@1"
    )
    assert cache.clear() == 2 and cache.info()["entries"] == 0


def test_stale_temp_files_are_swept(cache):
    """A temporary file left by a dead writer (older than an hour) is removed on the next scan."""
    p = _put(cache, "a")
    stale = p.with_name(".a.safetensors.999.dead.tmp")
    stale.write_bytes(b"partial")
    os.utime(stale, (1_000_000, 1_000_000))
    assert cache.info()["entries"] == 1 and not stale.exists()


def test_content_hash():
    """Equal content hashes equal; dtype, shape, source and text all matter."""
    a = torch.zeros(2, 3, dtype=torch.uint8)
    assert content_hash(a) == content_hash(a.clone())
    assert content_hash(a) != content_hash(a.float())
    assert content_hash(a) != content_hash(a.reshape(3, 2))
    assert content_hash(a, "frames") != content_hash(a, "video")
    assert content_hash("a cat") == content_hash("a cat") != content_hash("a dog")


def test_locations_and_sizes(monkeypatch, tmp_path):
    """$SEN_CACHE_DIR picks the location; sizes read with units; $SEN_CACHE_MAX_BYTES bounds it."""
    monkeypatch.setenv("SEN_CACHE_DIR", str(tmp_path / "here"))
    monkeypatch.setenv("SEN_CACHE_MAX_BYTES", "2MB")
    assert default_root() == tmp_path / "here" and FeatureCache().max_bytes == 2 * 1024**2
    assert (parse_size("20GB"), parse_size("512M"), parse_size(1000), parse_size("1e3")) == (
        20 * 1024**3,
        512 * 1024**2,
        1000,
        1000,
    )
    with pytest.raises(SenError, match="cannot read size 'lots'"):
        parse_size("lots")
