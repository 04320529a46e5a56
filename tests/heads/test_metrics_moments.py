"""QVHighlights metrics (R1@IoU, mAP, HIT@1) on tiny hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sen_heads.metrics_moments import (
    IOU_THRESHOLDS,
    MomentsMeter,
    average_precision,
    hit_at_1,
    moment_metrics,
    saliency_from_moments,
)

GT = np.array([[0.0, 0.2], [0.5, 0.7]])
PRED = np.array([[0.5, 0.7], [0.3, 0.4], [0.0, 0.184]])  # TP (IoU 1), FP, TP up to IoU 0.92
SCORES = np.array([0.9, 0.8, 0.7])


def test_iou_thresholds():
    """0.5, 0.55, ..., 0.95."""
    assert IOU_THRESHOLDS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_average_precision_hand_case():
    """tp = [1, 0, 1]: precision [1, .5, .67], recall [.5, .5, 1] -> AP = .5 * 1 + .5 * 2/3."""
    assert average_precision(PRED, SCORES, GT, 0.5) == pytest.approx(5 / 6)
    # at 0.95 the third window (IoU 0.92) is a false positive: AP = .5 * 1
    assert average_precision(PRED, SCORES, GT, 0.95) == pytest.approx(0.5)


def test_average_precision_ignores_input_order():
    """Predictions are ranked by score, not by position."""
    order = [2, 0, 1]
    assert average_precision(PRED[order], SCORES[order], GT, 0.5) == pytest.approx(5 / 6)


def test_moment_metrics_two_queries():
    """Query 1 as above (mAP = (9 * 5/6 + 1/2) / 10 = 0.8); query 2 misses (IoU 1/3) -> means."""
    preds = [(PRED, SCORES), (np.array([[0.4, 0.8]]), np.array([0.5]))]
    gts = [GT, np.array([[0.2, 0.6]])]
    sal = [
        (np.array([0.1, 0.9, 0.3]), np.array([0.0, 1.0, 0.0])),
        (np.array([0.9, 0.1, 0.3]), np.array([0.0, 1.0, 0.0])),
    ]
    m = moment_metrics(preds, gts, sal)
    assert m["R1@0.5"] == 0.5 and m["R1@0.7"] == 0.5
    assert m["mAP"] == pytest.approx(0.4)
    assert m["mAP@0.5"] == pytest.approx(5 / 12) and m["mAP@0.75"] == pytest.approx(5 / 12)
    assert m["HIT@1"] == 0.5


def test_r1_uses_best_overlapping_ground_truth():
    """The top-1 window is compared with whichever ground-truth window it overlaps most."""
    m = moment_metrics([(np.array([[0.52, 0.7], [0.0, 0.1]]), np.array([0.9, 0.1]))], [GT])
    assert m["R1@0.7"] == 1.0  # IoU with [0.5, 0.7] is 0.9


def test_hit_at_1_threshold():
    """A graded saliency positive only at >= threshold."""
    assert hit_at_1(np.array([0.2, 0.8]), np.array([1.0, 0.75]), threshold=0.5)
    assert not hit_at_1(np.array([0.2, 0.8]), np.array([1.0, 0.75]), threshold=1.0)


def test_saliency_from_moments():
    """Frame centres 0.125, 0.375, 0.625, 0.875 against moments."""
    s = saliency_from_moments(
        [torch.tensor([[0.0, 0.4]]), torch.tensor([[0.6, 1.0], [0.3, 0.4]])], 4
    )
    assert s.tolist() == [[1, 1, 0, 0], [0, 1, 1, 1]]


def test_meter_two_batches_equal_one():
    """The meter keeps every query: two batches give the metrics of one batch of four."""
    g = torch.Generator().manual_seed(0)
    preds = {
        "spans": torch.rand(4, 5, 2, generator=g),
        "logits": torch.randn(4, 5, 2, generator=g),
        "saliency": torch.randn(4, 6, generator=g),
    }
    batch = {
        "moments": [
            torch.tensor([[0.1, 0.5]]),
            torch.tensor([[0.2, 0.4], [0.6, 0.9]]),
            torch.tensor([[0.0, 1.0]]),
            torch.tensor([[0.3, 0.35]]),
        ]
    }
    halves = MomentsMeter()
    for sl in (slice(0, 2), slice(2, 4)):
        halves.update({k: v[sl] for k, v in preds.items()}, {"moments": batch["moments"][sl]})
    whole = MomentsMeter()
    whole.update(preds, batch)
    assert halves.compute() == whole.compute()
    assert set(whole.compute()) == {
        "R1@0.5",
        "R1@0.7",
        "mAP",
        "mAP@0.5",
        "mAP@0.75",
        "HIT@1",
        "HL-mAP",
    }
