"""Issue-11 cases for saved networks: sen.json is schema-checked and the checksum is mandatory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from _network_helpers import make_spec

from sen_core.errors import CheckpointError
from sen_core.network import build_network, load_network, save_network


@pytest.fixture
def saved(catalogue, tmp_path: Path) -> Path:
    torch.manual_seed(0)
    spec = make_spec(
        neurons=("vit", "classes"), depth=1, heads=[{"name": "toy/zeroshot@1", "key": "zs"}]
    )
    return save_network(build_network(spec, catalogue=catalogue), tmp_path / "net")


def _meta(fn: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def corrupt(d: Path) -> None:
        meta = json.loads((d / "sen.json").read_text())
        fn(meta)
        (d / "sen.json").write_text(json.dumps(meta))

    return corrupt


def _flip_without_checksum(d: Path) -> None:
    _meta(lambda m: m["weights"].pop("sha256"))(d)
    data = bytearray((d / "model.safetensors").read_bytes())
    data[-4:] = b"\x7f\x7f\x7f\x7f"
    (d / "model.safetensors").write_bytes(bytes(data))


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (_meta(lambda m: m.update(components=["a"])), r"'components' must be a map"),
        (_meta(lambda m: m.update(weights="x")), r"'weights' must be a map"),
        (_meta(lambda m: m["weights"].pop("sha256")), r"'weights.sha256' must be the SHA-256"),
        (_flip_without_checksum, r"'weights.sha256' must be the SHA-256"),
        (_meta(lambda m: m["weights"].update(full="no")), r"'weights.full' must be true or false"),
        (lambda d: (d / "sen.json").write_bytes(b"\xff\xfe\x00"), r"not a valid sen.json"),
        (lambda d: (d / "sen.json").write_text("[" * 10000), r"nested deeper than 64"),
        (_meta(lambda m: m.update(spec=[1])), r"'spec' must be a JSON object"),
    ],
)
def test_bad_saved_network_is_refused(saved, catalogue, corrupt, message):
    """Each damaged sen.json is a CheckpointError naming the file and the key."""
    corrupt(saved)
    with pytest.raises(CheckpointError, match=message):
        load_network(saved, catalogue=catalogue)
