"""TAP-Vid metrics (OA, delta_avg, AJ), TC and pred_accel on a tiny hand-made track set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sen_heads.metrics_tracking import (
    TrackingMeter,
    eval_mask,
    predicted_acceleration,
    tapvid_metrics,
    tapvid_video_metrics,
    temporal_coherence,
)

# Two queries over three frames of a 256 x 256 video (so no rescaling).
QP = np.array([[0, 10, 10], [1, 100, 100]], dtype=float)  # (t, x, y)
GT = np.array([[[10, 10], [20, 20], [30, 30]], [[100, 100], [100, 100], [100, 100]]], dtype=float)
GT_VIS = np.array([[True, True, False], [True, True, True]])
PRED = np.array(
    [
        [[10, 10], [20, 23], [30, 30]],  # error 3 px at t=1
        [[100, 100], [100, 100], [110, 100]],
    ],
    dtype=float,
)  # error 10 px at t=2
PRED_VIS = np.array([[True, True, True], [True, True, False]])


def test_eval_mask_modes():
    """'strided' skips the query frame, 'first' keeps only later frames."""
    assert eval_mask(np.array([0, 1]), 3, "strided").tolist() == [
        [False, True, True],
        [True, False, True],
    ]
    assert eval_mask(np.array([0, 1]), 3, "first").tolist() == [
        [False, True, True],
        [False, False, True],
    ]


def test_tapvid_hand_values():
    """Evaluated points: (q0,t1) (q0,t2) (q1,t0) (q1,t2); three visible, errors 3, 0, 10 px.

    OA 2/4. delta: thr 1,2 -> 1/3; 4,8 -> 2/3; 16 -> 1; mean 0.6.
    Jaccard: thr 1,2 -> TP 1 / (3 + FP 2) = 0.2; thr 4, 8, 16 -> 2 / (3 + 1) = 0.5; AJ 0.38.
    """
    m = tapvid_video_metrics(QP, GT, GT_VIS, PRED, PRED_VIS)
    assert m["OA"] == 0.5
    assert [m[f"delta_{t}"] for t in (1, 2, 4, 8, 16)] == pytest.approx(
        [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0]
    )
    assert m["delta_avg"] == pytest.approx(0.6)
    assert [m[f"jaccard_{t}"] for t in (1, 2, 4, 8, 16)] == pytest.approx([0.2, 0.2, 0.5, 0.5, 0.5])
    assert m["AJ"] == pytest.approx(0.38)


def test_coherence_hand_value():
    """Only query 1 is visible at three consecutive frames: |(110,100) - 2 (100,100) + (100,100)| = 10.

    Its true track is static (acceleration 0), so TC and the predicted acceleration are both 10.
    """
    assert temporal_coherence(PRED, GT, GT_VIS) == 10.0
    assert predicted_acceleration(PRED, GT_VIS) == (10.0, 1)


def test_rescaled_to_256():
    """The same tracks in a 512 x 128 (W x H) frame give the same metrics after rescaling to 256 x 256."""
    scale = np.array([2.0, 0.5])
    qp = QP.copy()
    qp[:, 1:] *= scale
    m = tapvid_metrics(
        torch.tensor(qp)[None],
        torch.tensor(GT * scale)[None],
        torch.tensor(GT_VIS)[None],
        torch.tensor(PRED * scale)[None],
        torch.tensor(PRED_VIS)[None],
        frame_size=(128, 512),
    )
    assert (
        m["AJ"] == pytest.approx(0.38) and m["delta_avg"] == pytest.approx(0.6) and m["OA"] == 0.5
    )
    assert m["TC"] == pytest.approx(10.0) and m["pred_accel"] == pytest.approx(10.0)


def test_meter_two_batches_equal_one():
    """Per-video metrics averaged over videos: two batches of one video equal one batch of two."""
    g = torch.Generator().manual_seed(0)
    tracks = torch.rand(2, 4, 5, 2, generator=g) * 64
    preds = {
        "tracks": tracks + torch.randn(2, 4, 5, 2, generator=g) * 3,
        "visible_logits": torch.randn(2, 4, 5, generator=g),
        "frame_size": torch.tensor([64, 64]),
    }
    batch = {
        "tracks": tracks,
        "visible": torch.rand(2, 4, 5, generator=g) > 0.3,
        "query_points": torch.cat([torch.zeros(2, 4, 1), tracks[:, :, 0]], -1),
    }
    halves = TrackingMeter()
    for i in range(2):
        halves.update(
            {k: (v[i : i + 1] if k != "frame_size" else v) for k, v in preds.items()},
            {k: v[i : i + 1] for k, v in batch.items()},
        )
    whole = TrackingMeter()
    whole.update(preds, batch)
    a, b = halves.compute(), whole.compute()
    assert a.keys() == b.keys() and all(a[k] == pytest.approx(b[k]) for k in a)
    assert {"AJ", "delta_avg", "OA", "TC", "pred_accel"} <= set(a)
