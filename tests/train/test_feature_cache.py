"""train() with a FeatureCache: step-0 features come from the cache and training is unchanged."""

import json

import pytest

from sen_core.config import load_run_config
from sen_core.neuron.cache import FeatureCache
from sen_core.train import train


def test_cached_training_equals_uncached(tiny, tmp_path):
    """Same config with and without a feature cache: same final metrics; the cache holds entries."""
    config = load_run_config(str(tiny), ["train.steps=2"])
    plain = train(config, tmp_path / "plain", progress=False)
    cache = FeatureCache(tmp_path / "cache", max_bytes="100MB")
    cached = train(config, tmp_path / "cached", progress=False, feature_cache=cache)
    assert cached == pytest.approx(plain, abs=1e-5)
    assert cache.misses > 0 and list((tmp_path / "cache").rglob("*.safetensors"))
    assert json.loads((tmp_path / "cached" / "final.json").read_text())["step"] == 2
