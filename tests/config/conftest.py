"""Config test fixtures: a small catalogue of fake components and a writer for YAML files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sen_core.catalogue import Catalogue
from sen_core.specs import BlockSpec, DatasetSpec, EncoderSpec, HeadSpec, TokenLayout


@pytest.fixture
def catalogue() -> Catalogue:
    """Fake components under the names a config may use (no plugin is loaded)."""
    cat = Catalogue()
    frames = TokenLayout(kind="frames", tokens_per_frame=4)
    cat.add(
        EncoderSpec(
            name="sen/fake-image@1",
            summary="fake image encoder",
            factory="x.y:z",
            modality="image",
            width=32,
            layout=frames,
            param_types={"image_size": "int"},
        )
    )
    cat.add(
        EncoderSpec(
            name="sen/fake-text@1",
            summary="fake text encoder",
            factory="x.y:z",
            modality="text",
            width=32,
            layout=TokenLayout(kind="sequence"),
        )
    )
    cat.add(BlockSpec(name="sen/ra-cross@1", summary="fake block", factory="x.y:z"))
    cat.add(
        HeadSpec(
            name="sen/classify-linear@1",
            summary="fake head",
            factory="x.y:z",
            task="classification",
        )
    )
    cat.add(DatasetSpec(name="sen/shapes@1", summary="fake data", factory="x.y:z"))
    return cat


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path, so messages show short relative file names."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def write(tmp_path: Path):
    """write('name.yaml', text) -> path of a dedented YAML file in tmp_path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return _write


BASE = """\
model:
  neurons:
    - {name: sen/fake-image@1, key: frames, input: frames, params: {image_size: 32}}
    - {name: sen/fake-text@1, key: caption, input: caption}
  anchor: frames
  depth: 3
  width: 64
  heads: [{name: sen/classify-linear@1, key: cls}]
train: {lr: 1.0e-3, steps: 10}
"""


@pytest.fixture
def base_yaml(write) -> Path:
    """A valid run config using the fake components."""
    return write("base.yaml", BASE)
