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
