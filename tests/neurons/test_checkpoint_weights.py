"""sen_core.neuron.weights: reading local checkpoint files safely and loading them with named mismatches."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from sen_core.errors import CheckpointError
from sen_core.neuron.weights import load_into, load_state_dict_file, unwrap_state_dict


class _Tiny(nn.Module):
    def __init__(self, width: int = 4, extra: bool = False) -> None:
        super().__init__()
        self.fc = nn.Linear(3, width)
        self.norm = nn.BatchNorm1d(width)
        if extra:
            self.out = nn.Linear(width, 2)


def _state(width: int = 4, extra: bool = False) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return _Tiny(width, extra).state_dict()


def test_safetensors_and_torch_files_round_trip(tmp_path):
    """A state dict saved as .safetensors or .pt reads back tensor for tensor."""
    sd = _state()
    save_file(sd, tmp_path / "w.safetensors")
    torch.save(sd, tmp_path / "w.pt")
    for name in ("w.safetensors", "w.pt"):
        back = load_state_dict_file(tmp_path / name)
        assert sorted(back) == sorted(sd)
        assert all(torch.equal(back[k], sd[k]) for k in sd)


def test_container_dicts_are_unwrapped(tmp_path):
    """{'state_dict': {...}} and {'model': {...}} checkpoints yield the inner tensors."""
    sd = _state()
    torch.save({"epoch": 3, "state_dict": sd}, tmp_path / "a.pth")
    torch.save({"model": sd}, tmp_path / "b.bin")
    assert sorted(load_state_dict_file(tmp_path / "a.pth")) == sorted(sd)
    assert sorted(load_state_dict_file(tmp_path / "b.bin")) == sorted(sd)


def test_missing_file_is_named(tmp_path):
    """A path that does not exist gives a CheckpointError naming it."""
    path = tmp_path / "nope.safetensors"
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path)
    assert str(err.value) == f"checkpoint file '{path}' does not exist (or is not a file)"


def test_truncated_safetensors_is_named(tmp_path):
    """A safetensors file cut in half is reported as unreadable, with its path."""
    path = tmp_path / "cut.safetensors"
    save_file(_state(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path)
    assert str(err.value).startswith(
        f"checkpoint '{path}' is not a readable safetensors file (truncated or corrupt?): "
    )


def test_truncated_torch_file_is_named(tmp_path):
    """A .pt file cut short is reported as unreadable by torch.load, with its path."""
    path = tmp_path / "cut.pt"
    torch.save(_state(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path)
    assert str(err.value).startswith(
        f"checkpoint '{path}' could not be read by torch.load (truncated or corrupt?): "
    )


class _Payload:
    """An arbitrary object: weights_only=True must refuse to unpickle it."""


def test_pickled_objects_are_refused(tmp_path):
    """A .pt holding a non-tensor object is refused (weights_only) with an explanation."""
    path = tmp_path / "obj.pt"
    torch.save({"w": torch.zeros(1), "obj": _Payload()}, path)
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path)
    assert str(err.value).startswith(
        f"checkpoint '{path}' holds objects other than tensors; SEN loads .pt/.pth/.bin files with "
        "torch.load(weights_only=True) and never unpickles arbitrary objects"
    )


def test_unknown_suffix_is_named(tmp_path):
    """A file with an unknown suffix lists the accepted ones."""
    path = tmp_path / "w.npz"
    path.write_bytes(b"\x00")
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path)
    assert str(err.value) == (
        f"checkpoint '{path}' has an unknown suffix '.npz'; expected one of .safetensors, .pt, .pth, .bin, .ckpt"
    )


def test_non_state_dict_is_refused():
    """A mapping without tensors (and no known container key) is not a state dict."""
    with pytest.raises(CheckpointError) as err:
        unwrap_state_dict({"epoch": 1, "lr": 0.1}, source="x.pt")
    assert str(err.value) == (
        "checkpoint 'x.pt' does not hold a state dict of tensors (found a mapping with keys 'epoch', 'lr'); "
        "expected {name: tensor}, optionally under one of the keys state_dict, model, module, model_state, "
        "state_dict_ema, model_ema"
    )


def test_load_into_copies_weights():
    """A matching state dict is copied into the model."""
    sd = _state()
    model = _Tiny()
    report = load_into(model, sd, name="tiny")
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    assert torch.equal(model.fc.weight, sd["fc.weight"])


def test_load_into_names_missing_unexpected_and_misshaped_keys():
    """Missing, unexpected and mis-shaped keys are all named in one message."""
    sd = _state(width=5)
    sd["head.weight"] = torch.zeros(2)
    del sd["norm.running_var"]
    with pytest.raises(CheckpointError) as err:
        load_into(_Tiny(width=4), sd, name="tiny: checkpoint 'w.safetensors'")
    assert str(err.value) == (
        "tiny: checkpoint 'w.safetensors': checkpoint does not match the model: "
        "1 missing key (norm.running_var); 1 unexpected key (head.weight); "
        "5 mis-shaped keys (fc.weight: checkpoint [5, 3] vs model [4, 3], fc.bias: checkpoint [5] vs model [4], "
        "norm.weight: checkpoint [5] vs model [4], norm.bias: checkpoint [5] vs model [4], "
        "norm.running_mean: checkpoint [5] vs model [4])"
    )


def test_load_into_counts_beyond_the_first_five():
    """More than five missing keys are shown as the first five plus a count."""
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(4)])
    with pytest.raises(CheckpointError) as err:
        load_into(model, {}, name="seq")
    assert str(err.value) == (
        "seq: checkpoint does not match the model: 8 missing keys "
        "(0.weight, 0.bias, 1.weight, 1.bias, 2.weight, ... (3 more))"
    )


def test_non_strict_tolerates_extra_keys_but_not_shapes():
    """strict=False loads what matches and reports the rest; shapes must still match."""
    sd = _state(extra=True)
    report = load_into(_Tiny(), sd, name="tiny", strict=False)
    assert report.unexpected == ["out.weight", "out.bias"]
    with pytest.raises(
        CheckpointError,
        match=r"1 mis-shaped key \(fc.weight: checkpoint \[4, 2\] vs model \[4, 3\]\)",
    ):
        load_into(_Tiny(), {"fc.weight": torch.zeros(4, 2)}, name="tiny", strict=False)


def test_missing_batchnorm_counter_is_tolerated():
    """Checkpoints without BatchNorm num_batches_tracked still load strictly."""
    sd = {k: v for k, v in _state().items() if not k.endswith("num_batches_tracked")}
    assert load_into(_Tiny(), sd, name="tiny").missing == []
