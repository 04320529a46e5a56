"""Moment-retrieval head: shapes, Hungarian-matched losses, saliency losses, conditioning on the query."""

from __future__ import annotations

import pytest
import torch
from _heads_fixtures import CA, B, T, build_head, make_batch, make_output


def test_forward_shapes_and_ranges(out, batch):
    """(B, N, 2) spans in [0, 1], (B, N, 2) logits, (B, T) saliency."""
    head = build_head("sen/moments@1", num_queries=6)
    preds = head(out, batch)
    assert preds["spans"].shape == (B, 6, 2) and preds["logits"].shape == (B, 6, 2)
    assert preds["saliency"].shape == (B, T)
    assert float(preds["spans"].detach().min()) >= 0 and float(preds["spans"].detach().max()) <= 1


def test_loss_terms_and_backward(out, batch):
    """Every term is a finite scalar; gradients reach the state and the anchor tokens."""
    head = build_head("sen/moments@1", num_queries=6, anchor_width=CA)
    preds = head(out, batch)
    terms = head.loss_terms(preds, batch)
    assert set(terms) == {"span", "giou", "label", "saliency"}
    assert all(t.ndim == 0 and torch.isfinite(t) for t in terms.values())
    head.loss(preds, batch).backward()
    assert out.state.grad.abs().sum() > 0
    assert out.features["anchor"].x.grad.abs().sum() > 0


def test_perfect_prediction_has_zero_span_losses():
    """Predicting exactly the ground-truth spans leaves L1 and gIoU at zero after matching."""
    head = build_head("sen/moments@1", num_queries=3)
    spans = torch.tensor([[[0.9, 0.1], [0.25, 0.3], [0.5, 0.5]]])  # query 1 is [0.1, 0.4]
    logits = torch.zeros(1, 3, 2)
    terms = head.loss_terms(
        {"spans": spans, "logits": logits, "saliency": torch.zeros(1, 4)},
        {"moments": [torch.tensor([[0.1, 0.4]])]},
    )
    assert terms["span"].item() == pytest.approx(0.0, abs=1e-6)
    assert terms["giou"].item() == pytest.approx(0.0, abs=1e-6)


def test_saliency_losses():
    """Hinge: margin 0.2 between positive and negative frames; BCE alternative; derived from moments."""
    head = build_head("sen/moments@1")
    sal = torch.tensor([[1.0, 0.9, 0.0, 0.0]])
    moments = [torch.tensor([[0.0, 0.5]])]  # frames 0, 1 positive
    # pairs (pos, neg): s_pos - s_neg = 1.0 or 0.9 >= 0.2 -> no violation
    assert head._saliency_loss(sal, {}, moments).item() == 0.0
    # one pair reversed: violations 0.2 - (0.0 - 1.0) ... mean over the 4 pairs
    flipped = torch.tensor([[0.0, 0.9, 1.0, 0.0]])
    want = ((0.2 - (0.0 - 1.0)) + (0.2 - (0.0 - 0.0)) + (0.2 - (0.9 - 1.0)) + 0.0) / 4
    assert head._saliency_loss(flipped, {}, moments).item() == pytest.approx(want)
    bce = build_head("sen/moments@1", saliency_loss="bce")
    target = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    want_bce = torch.nn.functional.binary_cross_entropy_with_logits(sal, target)
    assert bce._saliency_loss(sal, {"saliency": target}, moments).item() == pytest.approx(
        want_bce.item()
    )


def test_query_text_conditions_predictions(batch):
    """A different query text changes the predicted spans; without one the head still runs."""
    head = build_head("sen/moments@1").eval()
    out = make_output()
    with torch.no_grad():
        a = head(out, batch)["spans"]
        out.text["query"] = out.text["query"] + 1.0
        b = head(out, batch)["spans"]
        no_text = head(make_output(text=False), batch)["spans"]
    assert not torch.allclose(a, b) and no_text.shape == a.shape


def test_tubelet_anchor_with_more_video_frames():
    """An anchor with T/2 feature frames still trains against T-frame saliency."""
    head = build_head("sen/moments@1")
    out, batch = make_output(t=2), make_batch(t=4)
    preds = head(out, batch)
    assert preds["saliency"].shape == (2, 2)
    assert torch.isfinite(head.loss(preds, batch))


def test_meter_from_head_output(out, batch):
    """The head's meter gives every QVHighlights metric."""
    head = build_head("sen/moments@1").eval()
    m = head.meter()
    with torch.no_grad():
        m.update(head(out, batch), batch)
    assert set(m.compute()) == {"R1@0.5", "R1@0.7", "mAP", "mAP@0.5", "mAP@0.75", "HIT@1", "HL-mAP"}


def test_clips_without_moments_are_all_background(out):
    """With no ground-truth moment the span terms vanish and every query is trained as background."""
    head = build_head("sen/moments@1")
    batch = make_batch()
    batch["moments"] = [torch.zeros(0, 2), torch.zeros(0, 2)]
    terms = head.loss_terms(head(out, batch), batch)
    assert terms["span"].item() == 0.0 and terms["giou"].item() == 0.0
    assert terms["label"].item() > 0 and torch.isfinite(terms["saliency"])
