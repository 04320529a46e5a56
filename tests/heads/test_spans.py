"""1-D IoU, generalised IoU and Hungarian matching on known spans."""

from __future__ import annotations

import pytest
import torch

from sen_heads.spans import cw_to_se, hungarian_match, pairwise_giou, pairwise_iou, se_to_cw


def test_giou_hand_values():
    """Overlapping, disjoint and identical spans."""
    a = torch.tensor([[0.2, 0.6], [0.0, 0.2], [0.3, 0.5]])
    b = torch.tensor([[0.4, 0.8], [0.6, 1.0], [0.3, 0.5]])
    giou = pairwise_giou(a, b).diagonal()
    # inter .2 / union .6 = 1/3, enclosure .6 = union; disjoint: 0 - (1.0 - .6) / 1.0; identical: 1
    assert giou.tolist() == pytest.approx([1 / 3, -0.4, 1.0])
    assert pairwise_iou(a, b)[0].diagonal().tolist() == pytest.approx([1 / 3, 0.0, 1.0])


def test_span_conversions_round_trip():
    """(start, end) <-> (center, width)."""
    se = torch.tensor([[0.1, 0.5], [0.6, 0.7]])
    assert torch.allclose(se_to_cw(se), torch.tensor([[0.3, 0.4], [0.65, 0.1]]))
    assert torch.allclose(cw_to_se(se_to_cw(se)), se)


def test_hungarian_beats_greedy():
    """Pure L1 cost: the optimum (total 0.20) gives gt0 to pred1, although pred0 is nearest to gt0."""
    pred_cw = torch.tensor([[0.5, 0.2], [0.3, 0.2], [0.9, 0.1]])
    gt_se = torch.tensor([[0.35, 0.55], [0.45, 0.65]])  # centres .45 and .55, widths .2
    p, g = hungarian_match(
        pred_cw, torch.zeros(3), gt_se, cost_span=1.0, cost_giou=0.0, cost_class=0.0
    )
    assert p.tolist() == [1, 0] and g.tolist() == [0, 1]


def test_hungarian_uses_class_and_giou_costs():
    """Two identical predictions: the one with the higher foreground probability is matched."""
    pred_cw = torch.tensor([[0.2, 0.2], [0.2, 0.2], [0.8, 0.2]])
    gt_se = torch.tensor([[0.1, 0.3], [0.7, 0.9]])
    p, g = hungarian_match(pred_cw, torch.tensor([0.1, 0.9, 0.5]), gt_se)
    assert p.tolist() == [1, 2] and g.tolist() == [0, 1]


def test_hungarian_without_ground_truth():
    """No moments: nothing is matched."""
    p, g = hungarian_match(torch.rand(4, 2), torch.rand(4), torch.zeros(0, 2))
    assert p.numel() == 0 and g.numel() == 0
