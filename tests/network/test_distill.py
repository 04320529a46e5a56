"""Collaborative distillation: the loss is present when weighted, joins the total, and falls."""

from __future__ import annotations

import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network
from sen_core.network.distill import align_loss, keep_loss


def test_distill_loss_falls(catalogue):
    """20 Adam steps on the distillation loss alone (4 clips, 4 neurons, K = 1) at least halve it."""
    torch.manual_seed(0)
    net = build_network(make_spec(distill_weight=1.0, depth=1), catalogue=catalogue).train()
    batch = make_batch(b=4)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    history = []
    for _ in range(20):
        loss = net.losses(net(batch), {}, batch)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    assert history[-1] < 0.5 * history[0]


def test_distill_only_when_weighted(catalogue):
    """No distillation term (and no work) at weight 0; weighted into the total otherwise."""
    torch.manual_seed(0)
    batch = make_batch()
    net0 = build_network(make_spec(), catalogue=catalogue)
    assert "distill" not in net0(batch).aux_losses
    net = build_network(make_spec(distill_weight=0.25), catalogue=catalogue)
    out = net(batch)
    losses = net.losses(out, {}, batch)
    assert torch.allclose(losses["total"], 0.25 * losses["distill"])


def test_terms():
    """align is 0-free InfoNCE over pairs; keep is 0 for identical features and detaches the teacher."""
    a = torch.eye(3)
    assert align_loss({"x": a}) is None
    loss = align_loss({"x": a, "y": a})
    assert loss is not None and float(loss) < 1e-3
    free = torch.randn(3, 5, requires_grad=True)
    loss = keep_loss({"n": (free * 1.0, free)})
    assert float(loss.detach()) < 1e-6
    loss.backward()
    assert free.grad is not None and float(free.grad.abs().sum()) < 1e-5
