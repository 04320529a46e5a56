"""AdamW parameter groups: no weight decay on biases and norm weights; frozen tensors left out."""

import pytest
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
