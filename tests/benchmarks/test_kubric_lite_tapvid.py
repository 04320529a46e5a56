"""kubric-lite's export is TAP-Vid-Kubric: `sen data write-kubric-lite`, read by the TAP-Vid-Kubric
reader under the official (strided) protocol, `sen predict` on it, scored by tapnet's metric.

GOLDEN was computed once by running tapnet's ``tapnet/tapvid/evaluation_datasets.py``
``compute_tapvid_metrics`` on the ``.npz`` this test writes with ``sen predict`` (per video, then
the mean over videos); the predictions come from a seeded network trained for 4 steps.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.cli import cli
from sen_heads.metrics_tracking import tapvid_video_metrics

# tapnet compute_tapvid_metrics on kubric_preds.npz (strided), mean over the 2 videos
GOLDEN = {"AJ": 0.13769464437243503, "delta_avg": 0.2125651967757231, "OA": 0.9782608695652174}
EXPORT = ["--num", "2", "--frames", "6", "--image-size", "32", "--points", "12", "--seed", "5"]


def _reader(root, split):
    spec = get_catalogue().get("sen/tapvid-kubric-data@1")
    params = {**spec.params, "root": str(root), "variant": "kubric"}
    return import_ref(spec.factory)(spec, split=split, **params)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("kubric-lite")
    for split in ("train", "test"):
        r = CliRunner().invoke(
            cli, ["data", "write-kubric-lite", str(root), "--split", split, *EXPORT]
        )
        assert r.exit_code == 0, r.output
    return root


def test_reader_gives_the_generator_tracks_at_256(exported):
    """Every frame, resized to 256 x 256; every point of the export with the generator's track
    (x 256/32) and its given query, a frame where it is visible (Kubric's protocol: queries
    anywhere in the clip, scored as 'strided': every frame but the query's)."""
    from sen_data.kubric_lite.dataset import KubricLiteDataset, KubricLiteParams

    gen = KubricLiteDataset(
        KubricLiteParams(frames=6, image_size=32, num_points=12, seed=5, num_samples=2), "test"
    )
    ds = _reader(exported, "test")
    assert len(ds) == 2
    for i in range(2):
        s, truth = ds[i], gen.tapvid(i)
        assert s["video"].shape == (6, 256, 256, 3) and s["query_mode"] == "strided"
        assert s["track_index"].tolist() == list(range(12))
        np.testing.assert_allclose(s["tracks"].numpy(), truth["target_points"] * 8, rtol=1e-6)
        np.testing.assert_array_equal(s["visible"].numpy(), ~truth["occluded"])
        qp = truth["query_points"]  # (t, y, x) px
        np.testing.assert_allclose(s["query_points"].numpy(), qp[:, [0, 2, 1]] * [1, 8, 8])
        t = qp[:, 0].astype(np.int64)
        assert s["visible"].numpy()[np.arange(12), t].all()


def test_predict_on_the_export_scores_as_tapnet(exported, tmp_path, monkeypatch):
    """sen eval, and the `sen predict` file scored per video, both equal tapnet's numbers."""
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    r = CliRunner().invoke(
        cli,
        [
            "train",
            "sen/tapvid-davis@1",
            "data.name=sen/tapvid-kubric-data@1",
            f"data.params.root={exported}",
            "data.params.variant=kubric",
            "model.neurons.0.params.image_size=64",
            "train.steps=4",
            "train.eval_every=4",
            "train.checkpoint_every=4",
            "train.lr=0.01",
            "train.eval_split=test",
            "--run-dir",
            str(run),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["eval", str(run), "--split", "test", "--json"])
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.output)["metrics"]
    r = CliRunner().invoke(
        cli, ["predict", str(run), "--split", "test", "--out", "kubric_preds.npz"]
    )
    assert r.exit_code == 0, r.output
    z = np.load(tmp_path / "kubric_preds.npz")
    videos = sorted({k.rsplit("/", 1)[0] for k in z.files})
    assert videos == ["00000", "00001"]
    per_video = [
        tapvid_video_metrics(
            z[f"{v}/query_points"][:, [0, 2, 1]],
            z[f"{v}/target_points"],
            ~z[f"{v}/occluded"],
            z[f"{v}/pred_tracks"],
            ~z[f"{v}/pred_occluded"],
            str(z[f"{v}/query_mode"]),
        )
        for v in videos
    ]
    for key, value in GOLDEN.items():
        from_file = float(np.nanmean([m[key] for m in per_video]))
        assert from_file == pytest.approx(value, abs=1e-12), key
        assert metrics[f"tracking/{key}"] == pytest.approx(value, abs=1e-12), key
