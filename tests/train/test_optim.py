"""AdamW parameter groups: no weight decay on biases and norm weights; frozen tensors left out."""

import pytest
from pydantic import ValidationError
from torch import nn

from sen_core.errors import ConfigError
from sen_core.train.optim import make_optimizer, split_decay


def test_decay_split(fk):
    """Weight matrices decay; biases and LayerNorm weights do not; frozen parameters are absent."""
    decay, no_decay = split_decay(fk.FakeNet())
    assert decay == ["proj.weight", "out.weight"]
    assert no_decay == ["norm.weight", "norm.bias", "proj.bias", "out.bias"]


def test_optimizer_groups_carry_weight_decay(fk):
    """Two groups: train.weight_decay for matrices, 0 for the rest."""
    opt = make_optimizer(fk.FakeNet(), fk.make_config(weight_decay=0.05).train)
    assert [(len(g["params"]), g["weight_decay"]) for g in opt.param_groups] == [
        (2, 0.05),
        (4, 0.0),
    ]
    assert opt.param_groups[0]["lr"] == 0.05


def test_no_trainable_parameters_is_a_config_error(fk):
    """A network with everything frozen cannot be trained."""
    net = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ConfigError, match="the network has no trainable parameters"):
        make_optimizer(net, fk.make_config().train)


def test_lr_scale_splits_groups_by_part(fk):
    """train.lr_scale multiplies the lr of the named part (one group per decay and scale)."""
    opt = make_optimizer(fk.FakeNet(), fk.make_config(lr_scale={"norm": 0.5}).train)
    got = sorted((len(g["params"]), g["weight_decay"], g["lr"]) for g in opt.param_groups)
    # decay: proj.weight, out.weight (lr 0.05); no decay: norm.* (0.025), proj.bias, out.bias (0.05)
    assert got == [(2, 0.0, 0.025), (2, 0.0, 0.05), (2, 0.01, 0.05)]


def test_lr_scale_on_a_part_without_parameters_is_a_config_error(fk):
    with pytest.raises(
        ConfigError,
        match=r"train.lr_scale names \['heads'\], which hold no trainable parameters in this "
        r"network \(parts with trainable parameters: norm, out, proj\)",
    ):
        make_optimizer(fk.FakeNet(), fk.make_config(lr_scale={"heads": 2.0}).train)


def test_lr_scale_keys_are_network_parts_and_stay_out_of_the_hash(fk):
    """Unknown parts are refused; an empty lr_scale leaves the config hash as it was."""
    with pytest.raises(ValidationError, match="lr_scale"):
        fk.make_config(lr_scale={"blocks": 0.5})
    plain = fk.make_config()
    assert "lr_scale" not in plain.train.model_dump(mode="json")
    assert fk.make_config(lr_scale={}).hash() == plain.hash()
    assert fk.make_config(lr_scale={"block": 0.5}).hash() != plain.hash()


def test_logged_lr_is_the_unscaled_schedule(run_train):
    """metrics.jsonl logs train.lr x the schedule, whichever part lr_scale slows down."""
    from sen_core.train.logging import read_metrics

    logged = []
    for name, scale in (("plain", {}), ("scaled", {"norm": 0.1})):
        _, _, run_dir = run_train(name, steps=4, log_every=1, lr_scale=scale)
        logged.append([r["lr"] for r in read_metrics(run_dir / "metrics.jsonl") if "lr" in r])
    assert len(logged[0]) == 4 and logged[0] == logged[1]
