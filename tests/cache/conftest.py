"""Feature-cache fixtures: a tiny fake network with the encode_step0 / neuron_cache_id contract."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from sen_core.network.spec import NetworkSpec
from sen_core.neuron.cache import FeatureCache

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the helper modules below, also for spawned writer processes

from _cache_fakes import FakeNet  # noqa: E402


@pytest.fixture
def spec() -> NetworkSpec:
    return NetworkSpec(
        neurons=[
            {"name": "sen/fake-image@1", "key": "frames", "input": "frames"},
            {"name": "sen/fake-text@1", "key": "caption", "input": "caption"},
            {"name": "sen/fake-text@1", "key": "classes", "input": "class_names"},
        ],
        anchor="frames",
        width=32,
    )


@pytest.fixture
def net(spec) -> FakeNet:
    return FakeNet(spec)


@pytest.fixture
def cache(tmp_path) -> FeatureCache:
    return FeatureCache(tmp_path / "cache", max_bytes="1GB")


def make_batch(seeds: list[int], captions: list[str] | None = None) -> dict:
    """A batch whose clip i is generated from seed i (same seed -> same content)."""
    clips = [
        torch.randint(
            0, 256, (3, 8, 8, 3), generator=torch.Generator().manual_seed(s), dtype=torch.uint8
        )
        for s in seeds
    ]
    caps = captions or [" ".join(["word"] * (1 + s % 4) + [f"s{s}"]) for s in seeds]
    return {
        "video": torch.stack(clips),
        "caption": caps,
        "class_names": ["a red circle", "blue square", "x"],
        "label": torch.tensor(seeds) % 3,
        "fps": 8.0,
    }


@pytest.fixture
def batch_of():
    return make_batch
