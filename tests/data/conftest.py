"""Fixtures for the sen_data datasets: build by catalogue name, and a video folder of real clips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.data.video import example_clip


def build(name: str, split: str = "train", **params):
    spec = get_catalogue().get(name, kind="dataset")
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


@pytest.fixture
def make_dataset():
    """``make_dataset(name, split='train', **params)`` through the catalogue, like a run config does."""
    return build


def tiny_shapes(split: str = "train", **params):
    return build(
        "sen/shapes@1", split, **{"num_samples": 64, "frames": 8, "image_size": 32, **params}
    )


@pytest.fixture
def shapes():
    """``shapes(split='train', **params)``: sen/shapes@1 at 8 frames of 32x32."""
    return tiny_shapes


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


@pytest.fixture
def video_root(tmp_path: Path) -> Path:
    """A folder with clips/bikes.mp4 (a copy, 250 frames, 10 s) and clips/carphone.mp4 (a symlink, 120 frames)."""
    clips = tmp_path / "videos" / "clips"
    clips.mkdir(parents=True)
    shutil.copy(example_clip("bikes"), clips / "bikes.mp4")
    (clips / "carphone.mp4").symlink_to(example_clip("carphone"))
    return tmp_path / "videos"


@pytest.fixture
def jsonl():
    """``jsonl(path, records)``: write dicts (or raw strings) one per line."""
    return write_jsonl
