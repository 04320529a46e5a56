"""save_network / load_network: exact round trips, atomic files, and clear refusals."""

from __future__ import annotations

import json

import pytest
import torch
from _network_helpers import make_batch, make_spec, toy_catalogue

from sen_core.errors import CheckpointError, PluginWarning
from sen_core.network import build_network, load_network, save_network


@pytest.fixture
def trained(catalogue):
    """A network whose glue weights are no longer at their initial values."""
    torch.manual_seed(0)
    spec = make_spec(
        neurons=("vit", "film", "vid", "question", "caption", "classes"),
        depth=2,
        heads=[{"name": "toy/zeroshot@1", "key": "zs"}],
    )
    net = build_network(spec, catalogue=catalogue)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.05)
    return net.eval()


@pytest.mark.parametrize("full", [False, True])
def test_round_trip_is_exact(trained, catalogue, tmp_path, full):
    """Outputs, head predictions and the spec hash are reproduced bit for bit."""
    batch = make_batch()
    save_network(trained, tmp_path / "net", full=full)
    assert sorted(p.name for p in (tmp_path / "net").iterdir()) == ["model.safetensors", "sen.json"]
    loaded = load_network(tmp_path / "net", catalogue=catalogue)
    assert not loaded.training
    assert loaded.spec_hash == trained.spec_hash
    with torch.no_grad():
        a, b = trained(batch), loaded(batch)
        assert torch.equal(a.state, b.state)
        assert torch.equal(
            trained.run_heads(a, batch)["zs"]["logits"], loaded.run_heads(b, batch)["zs"]["logits"]
        )


def test_default_saves_trainable_only(trained, tmp_path):
    """Frozen neuron weights are left out unless full=True."""
    from safetensors.torch import load_file

    save_network(trained, tmp_path / "a")
    save_network(trained, tmp_path / "b", full=True)
    small, big = (
        load_file(tmp_path / "a" / "model.safetensors"),
        load_file(tmp_path / "b" / "model.safetensors"),
    )
    assert not any(k.startswith("neurons.") for k in small)
    assert set(small) < set(big) and any(k.startswith("neurons.vit.") for k in big)
    meta = json.loads((tmp_path / "a" / "sen.json").read_text())
    assert meta["spec_hash"] == trained.spec_hash
    assert meta["components"]["toy/vit@1"] == {
        "kind": "encoder",
        "plugin": "toys",
        "distribution": "toys",
        "version": "1.0",
    }
    assert meta["weights"]["tensors"] == len(small)
    assert not list((tmp_path / "a").glob(".*.tmp"))  # atomic writes leave no temporary files


def test_truncated_checkpoint(trained, catalogue, tmp_path):
    """A truncated model.safetensors is refused with a CheckpointError naming the file."""
    d = save_network(trained, tmp_path / "net")
    path = d / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors: its SHA-256 does not match sen.json"
    ):
        load_network(d, catalogue=catalogue)


def test_corrupt_safetensors_without_checksum(trained, catalogue, tmp_path):
    """Garbage in the weights file with a matching checksum still gives a clean CheckpointError."""
    import hashlib

    d = save_network(trained, tmp_path / "net")
    garbage = b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}"
    meta = json.loads((d / "sen.json").read_text())
    meta["weights"]["sha256"] = hashlib.sha256(garbage).hexdigest()
    (d / "sen.json").write_text(json.dumps(meta))
    (d / "model.safetensors").write_bytes(garbage)
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors: cannot read the safetensors file"
    ):
        load_network(d, catalogue=catalogue)


def test_edited_spec_is_refused(trained, catalogue, tmp_path):
    """A sen.json whose spec no longer matches its hash is refused."""
    d = save_network(trained, tmp_path / "net")
    meta = json.loads((d / "sen.json").read_text())
    meta["spec"]["depth"] = 3
    (d / "sen.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="the spec does not match its recorded hash"):
        load_network(d, catalogue=catalogue)


def test_version_mismatch(trained, tmp_path, monkeypatch):
    """Other plugin versions warn naming each distribution; strict (flag or env) refuses them."""
    d = save_network(trained, tmp_path / "net")
    newer = toy_catalogue(version="2.0")
    monkeypatch.delenv("SEN_STRICT_VERSIONS", raising=False)
    with pytest.warns(PluginWarning, match=r"toys \(saved 1.0, installed 2.0\)"):
        loaded = load_network(d, catalogue=newer)
    with torch.no_grad():
        assert torch.equal(loaded(make_batch()).state, trained(make_batch()).state)
    with pytest.raises(CheckpointError, match=r"toys \(saved 1.0, installed 2.0\)"):
        load_network(d, strict_versions=True, catalogue=newer)
    monkeypatch.setenv("SEN_STRICT_VERSIONS", "1")
    with pytest.raises(CheckpointError, match="SEN_STRICT_VERSIONS=1"):
        load_network(d, catalogue=newer)


def test_missing_directory(catalogue, tmp_path):
    """Loading a directory without sen.json names the file."""
    with pytest.raises(CheckpointError, match=r"sen.json: not found"):
        load_network(tmp_path, catalogue=catalogue)
