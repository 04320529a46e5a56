"""sen predict --visualize: the pictures show the points and windows where the arrays put them."""

from __future__ import annotations

import numpy as np
import torch
from _bench_fixtures import QVH_LINES, write_davis
from PIL import Image

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.train.visualize import _COLOURS, VISUALIZERS


def _dataset(name, split, **params):
    spec = get_catalogue().get(name)
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


def test_tracks_are_drawn_at_the_predicted_and_true_points(tmp_path):
    ds = _dataset("sen/tapvid-davis-data@1", "test", root=str(write_davis(tmp_path).parent))
    b = ds.collate([ds[0], ds[1]])
    b["video"] = torch.full_like(b["video"], 200)
    pred = b["tracks"].clone()
    pred[..., 0] += 12  # 12 px right of the truth
    preds = {
        "tracks": pred,
        "visible_logits": b["visible"].float() * 10 - 5,
        "frame_size": torch.tensor([256, 256]),
    }
    vis = VISUALIZERS["tracking"](None, 1)
    vis.add(preds, b)
    vis.add(preds, b)  # the limit holds across batches
    files = vis.draw(tmp_path)
    assert [f.name for f in files] == ["bear_tracks.png", "bear_tracks.gif"]
    gif = Image.open(files[1])
    assert getattr(gif, "n_frames", 1) == 9 and gif.size == (256, 256)
    q, t = 0, 4  # a visible point of the first query on frame 4
    assert bool(b["visible"][0, q, t])
    gif.seek(t)
    rgb = np.asarray(gif.convert("RGB")).astype(int)
    colour = np.array(_COLOURS[int(b["track_index"][0, q]) % len(_COLOURS)])
    x, y = (round(v) for v in pred[0, q, t].tolist())
    assert np.abs(rgb[y, x] - colour).max() < 40  # the filled predicted circle
    gx, gy = (round(v) for v in b["tracks"][0, q, t].tolist())
    assert np.abs(rgb[gy, gx] - colour).max() < 40  # the centre of the true '+'
    assert np.abs(rgb[5, 5] - 200).max() < 10  # the frame itself elsewhere
    assert Image.open(files[0]).size[0] > 6 * 200  # a strip of 6 frames


def test_moments_timeline_for_labelled_and_unlabelled_splits(qvh_root, tmp_path):
    for split in ("val", "test"):
        ds = _dataset("sen/qvhighlights-data@1", split, root=str(qvh_root), frames=4, image_size=16)
        b = ds.collate([ds[0], ds[1]])
        preds = {
            "spans": torch.tensor([[[0.5, 0.2]] * 3] * 2),
            "logits": torch.zeros(2, 3, 2),
            "saliency": torch.zeros(2, 4),
        }
        vis = VISUALIZERS["moments"](None, 4)
        vis.add(preds, b)
        (tmp_path / split).mkdir()
        files = vis.draw(tmp_path / split)
        qid = QVH_LINES[0]["qid"]
        assert files[0].name.startswith(f"{qid}_") and len(files) == 2
        assert Image.open(files[0]).size == (900, 520)
        sample = vis.samples[1]  # 50-s video: centre 0.5, width 0.2 -> 20-30 s; 25 clips
        assert np.allclose(sample["pred"][0][:2], [20.0, 30.0])
        assert len(sample["pred_sal"]) == 25
        assert (sample["gt"] is None) == (split == "test")
