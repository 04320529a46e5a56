"""Point-tracking head: shapes, losses, gradients, and soft-argmax on a hand-built feature map."""

from __future__ import annotations

import pytest
import torch
from _heads_fixtures import CA, B, Q, T, W, build_head, make_batch, make_output

from sen_core.errors import ConfigError, InputError
from sen_core.network.head import NetworkOutput
from sen_core.neuron import Layout, Tokens


def test_forward_shapes(out, batch):
    """(B, Q, T, 2) pixel positions inside the frame and (B, Q, T) visibility logits."""
    head = build_head("sen/tracking@1")
    preds = head(out, batch)
    assert preds["tracks"].shape == (B, Q, T, 2) and preds["visible_logits"].shape == (B, Q, T)
    assert float(preds["tracks"].detach().min()) >= 0 and float(preds["tracks"].detach().max()) <= W


def test_loss_and_backward(out, batch):
    """Huber + BCE; gradients reach the anchor tokens and the state (through the FiLM layer)."""
    head = build_head("sen/tracking@1", anchor_width=CA)
    preds = head(out, batch)
    terms = head.loss_terms(preds, batch)
    assert set(terms) == {"position", "visibility"} and all(
        torch.isfinite(t) for t in terms.values()
    )
    head.loss(preds, batch).backward()
    assert out.features["anchor"].x.grad.abs().sum() > 0
    assert head.film.weight.grad.abs().sum() > 0


def _moving_feature_case(position: str, query: tuple[float, float, float]) -> torch.Tensor:
    """Tracks of one query over a one-hot feature that moves one cell right per frame."""
    t, g, c = 3, 4, 8
    x = torch.zeros(1, t, g, g, c)
    x[..., 0] = 1.0  # background feature
    for f in range(t):
        x[0, f, 1, f, :] = 0.0
        x[0, f, 1, f, 1] = 1.0  # the tracked point, row 1, column f
    tokens = Tokens(
        x.reshape(1, t * g * g, c),
        Layout(kind="frames", frames=t, tokens_per_frame=g * g, grid=(g, g)),
    )
    out = NetworkOutput(
        state=torch.zeros(1, 2, c), pooled=torch.zeros(1, c), features={"a": tokens}, anchor="a"
    )
    head = build_head(
        "sen/tracking@1", width=c, anchor_width=c, init_temperature=0.01, position=position
    )
    with torch.no_grad():  # identity projection so the correlation is the raw cosine
        head.proj.proj.weight.copy_(torch.eye(c))
        head.proj.proj.bias.zero_()
        head.proj.norm = torch.nn.Identity()
        batch = {
            "video": torch.zeros(1, t, 32, 32, 3, dtype=torch.uint8),
            "query_points": torch.tensor([[list(query)]]),
        }
        return head(out, batch)["tracks"][0, 0]


@pytest.mark.parametrize("position", ["absolute", "offset"])
def test_soft_argmax_follows_a_distinct_feature(position):
    """Queried at the centre of cell (row 1, col 0), both modes track to the cell centres."""
    tracks = _moving_feature_case(position, (0.0, 4.0, 12.0))
    assert torch.allclose(
        tracks, torch.tensor([[4.0, 12.0], [12.0, 12.0], [20.0, 12.0]]), atol=0.05
    )


def test_offset_keeps_the_query_and_moves_it_by_the_match():
    """Queried off-centre in frame 1: offset mode returns the query exactly in the query frame and
    moves it one cell (8 px) per frame; absolute mode can only name cell centres."""
    off = _moving_feature_case("offset", (1.0, 13.0, 10.0))
    assert torch.allclose(off, torch.tensor([[5.0, 10.0], [13.0, 10.0], [21.0, 10.0]]), atol=0.05)
    assert off[1].tolist() == [13.0, 10.0]
    absolute = _moving_feature_case("absolute", (1.0, 13.0, 10.0))
    assert torch.allclose(
        absolute, torch.tensor([[4.0, 12.0], [12.0, 12.0], [20.0, 12.0]]), atol=0.05
    )


def test_unknown_position_mode_is_refused():
    with pytest.raises(
        ConfigError, match=r"params.position must be 'offset' or 'absolute', got 'x'"
    ):
        build_head("sen/tracking@1", width=8, position="x")


def test_anchor_without_grid_is_refused(batch):
    """Tracking needs the anchor's spatial grid; a CLS-only anchor is a clear input error."""
    tokens = Tokens(torch.randn(B, T, CA), Layout(kind="frames", frames=T, tokens_per_frame=1))
    out = NetworkOutput(
        state=torch.randn(B, 2, 32), pooled=torch.randn(B, 32), features={"a": tokens}, anchor="a"
    )
    with pytest.raises(InputError, match="needs the anchor's spatial grid"):
        build_head("sen/tracking@1")(out, batch)


def test_meter_from_head_output():
    """The head's meter gives the TAP-Vid metrics plus TC and pred_accel."""
    head = build_head("sen/tracking@1").eval()
    out, batch = make_output(), make_batch()
    m = head.meter()
    with torch.no_grad():
        m.update(head(out, batch), batch)
    assert {"AJ", "delta_avg", "OA", "TC", "pred_accel"} <= set(m.compute())
