"""Prediction files in the official layouts scored by the reference scorers give sen eval's numbers.

GOLDEN_* were computed once by running the references on the files these tests write (seeded):
tapnet ``tapnet/tapvid/evaluation_datasets.py`` ``compute_tapvid_metrics`` per video of the
``.npz`` (then the mean over videos), and moment_detr ``standalone_eval/eval.py`` on the
``.jsonl`` with the fixture's ``highlight_val_release.jsonl`` as ground truth.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from _bench_fixtures import write_davis

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.train.writers import WRITERS
from sen_heads.metrics_tracking import TrackingMeter

# tapnet compute_tapvid_metrics on davis_preds.npz (strided), mean over the 2 videos
GOLDEN_TAPVID = {"AJ": 0.43501412373316395, "delta_avg": 0.5782467532467532, "OA": 0.853125}


def _dataset(name, split="test", **params):
    spec = get_catalogue().get(name)
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


def tapvid_predictions(root: Path, out: Path) -> dict[str, float]:
    """Write seeded predictions of the DAVIS fixture to ``out``; return the meter's metrics."""
    write_davis(root)
    ds = _dataset("sen/tapvid-davis-data@1", root=str(root))
    batch = ds.collate([ds[0], ds[1]])
    g = torch.Generator().manual_seed(0)
    tracks = batch["tracks"] + torch.randn(batch["tracks"].shape, generator=g) * 3.0
    logits = torch.randn(batch["visible"].shape, generator=g) + 2 * batch["visible"].float() - 1
    preds = {"tracks": tracks, "visible_logits": logits, "frame_size": torch.tensor([256, 256])}
    meter = TrackingMeter("strided")
    meter.update(preds, batch)
    writer = WRITERS["tracking"](out)
    writer.write(preds, batch)
    writer.close()
    return meter.compute()


def test_tapvid_file_scores_as_sen_eval_and_tapnet(tmp_path):
    metrics = tapvid_predictions(tmp_path / "davis", tmp_path / "davis_preds.npz")
    for key, value in GOLDEN_TAPVID.items():
        assert metrics[key] == pytest.approx(value, abs=1e-12), key


# moment_detr standalone_eval/eval.py on qvh_preds.jsonl vs highlight_val_release.jsonl
# (percent, rounded to 2 decimals by the reference)
GOLDEN_QVH = {
    4: {"mAP": 7.33, "mAP@0.5": 15.0, "mAP@0.75": 8.33, "R1@0.5": 0.0, "R1@0.7": 0.0},
}
GOLDEN_HL = {  # threshold -> (HL-mAP, HIT@1): HL-min-VeryGood, HL-min-Good, HL-min-Fair
    4: (17.74, 0.0),
    3: (28.79, 0.0),
    2: (39.02, 0.0),
}


def qvh_predictions(root: Path, out: Path, hit_threshold: int = 4) -> dict[str, float]:
    """Write seeded predictions of the QVHighlights fixture (val) to ``out``; return the meter's."""
    from _bench_fixtures import write_qvhighlights

    from sen_heads.metrics_moments import MomentsMeter

    if not root.exists():
        write_qvhighlights(root)
    ds = _dataset("sen/qvhighlights-data@1", split="val", root=str(root), frames=8, image_size=16)
    batch = ds.collate([ds[i] for i in range(len(ds))])
    g = torch.Generator().manual_seed(1)
    b = len(ds)
    preds = {
        "spans": torch.rand((b, 5, 2), generator=g) * torch.tensor([1.0, 0.5]),
        "logits": torch.randn((b, 5, 2), generator=g),
        "saliency": torch.randn((b, 8), generator=g),
    }
    meter = MomentsMeter(hit_threshold=hit_threshold)
    meter.update(preds, batch)
    writer = WRITERS["moments"](out)
    writer.write(preds, batch)
    writer.close()
    return meter.compute()


def test_qvhighlights_file_scores_as_sen_eval_and_moment_detr(tmp_path):
    """Also the issue's silent bug: hit_threshold 4 ("VeryGood") scores graded saliency, not 0."""
    metrics: dict[str, float] = {}
    for thr, (hl_map, hit1) in sorted(GOLDEN_HL.items()):
        metrics = qvh_predictions(tmp_path / "qvh", tmp_path / "qvh_preds.jsonl", thr)
        assert 100 * metrics["HL-mAP"] == pytest.approx(hl_map, abs=0.005 + 1e-9)
        assert 100 * metrics["HIT@1"] == pytest.approx(hit1, abs=0.005 + 1e-9)
    metrics = qvh_predictions(tmp_path / "qvh", tmp_path / "qvh_preds.jsonl", 4)
    for key, value in GOLDEN_QVH[4].items():
        assert 100 * metrics[key] == pytest.approx(value, abs=0.005 + 1e-9), key
