"""sen/video-folder@1: clip durations and moments in seconds (IoU in seconds), short decodes reported."""

from __future__ import annotations

import pytest
import torch
from _shared import write_faststart_cut

from sen_core.data.video import ShortDecodeWarning, example_clip
from sen_core.errors import InputError

NAME = "sen/video-folder@1"
CARPHONE_S = 120 / (30000 / 1001)  # 120 frames at 29.97 fps


def test_duration_and_moments_in_seconds(make_dataset, video_root, jsonl):
    """Each sample carries its window's duration and the moments in seconds (clipped to the window)."""
    jsonl(
        video_root / "train.jsonl",
        [
            {"video": "clips/bikes.mp4", "query": "a", "moments": [[2.0, 4.0], [9.0, 12.0]]},
            {"video": "clips/carphone.mp4", "query": "b", "moments": [[0.5, 1.0]], "start": 0.25},
        ],
    )
    ds = make_dataset(NAME, root=str(video_root), frames=4, image_size=16)
    b = ds.collate([ds[0], ds[1]])
    assert b["duration"].dtype == torch.float64
    torch.testing.assert_close(
        b["duration"], torch.tensor([10.0, CARPHONE_S - 0.25], dtype=torch.float64)
    )
    torch.testing.assert_close(b["moments"][0], torch.tensor([[0.2, 0.4], [0.9, 1.0]]))
    torch.testing.assert_close(
        b["moments_seconds"][0], torch.tensor([[2.0, 4.0], [9.0, 10.0]], dtype=torch.float64)
    )
    torch.testing.assert_close(
        b["moments_seconds"][1], torch.tensor([[0.5, 1.0]], dtype=torch.float64)
    )


def test_moments_meter_measures_in_seconds(make_dataset, video_root, jsonl):
    """The moments meter scales a batch's windows by its duration: ground truth in seconds."""
    from sen_heads.metrics_moments import MomentsMeter

    jsonl(
        video_root / "train.jsonl",
        [{"video": "clips/bikes.mp4", "query": "a", "moments": [[2.0, 4.0]]}],
    )
    ds = make_dataset(NAME, root=str(video_root), frames=4, image_size=16)
    batch = ds.collate([ds[0]])
    meter = MomentsMeter()
    preds = {
        "spans": torch.tensor([[[0.3, 0.2]]]),  # (centre, width) fractions: 2-4 s of 10 s
        "logits": torch.tensor([[[4.0, 0.0]]]),
        "saliency": torch.zeros(1, 4),
    }
    meter.update(preds, batch)
    torch.testing.assert_close(torch.from_numpy(meter.gts[0]), batch["moments_seconds"][0])
    torch.testing.assert_close(
        torch.from_numpy(meter.preds[0][0]), torch.tensor([[2.0, 4.0]], dtype=torch.float64)
    )
    assert meter.compute()["R1@0.7"] == 1.0


def test_short_decode_warns_or_fails_under_strict(make_dataset, video_root, jsonl):
    """A clip cut at 50 %: a warning with the counts (frames from the part that decodes);
    strict_decode: true makes it an error naming the annotation line."""
    cut = write_faststart_cut(example_clip("bikes"), video_root / "clips" / "half.mp4")
    ann = jsonl(video_root / "train.jsonl", [{"video": "clips/half.mp4"}])
    with pytest.warns(ShortDecodeWarning, match=r"declares 250 frames but only 114 decode"):
        s = make_dataset(NAME, root=str(video_root), frames=4, image_size=16)[0]
    assert s["video"].shape == (4, 16, 16, 3) and s["duration"].item() == pytest.approx(114 / 25)
    assert len({f.numpy().tobytes() for f in s["video"]}) == 4  # no frame held to fill the length
    ds = make_dataset(NAME, root=str(video_root), frames=4, image_size=16, strict_decode=True)
    with pytest.raises(InputError) as err:
        ds[0]
    assert str(err.value) == (
        f"{ann}:1: '{cut}' declares 250 frames but only 114 decode (truncated or damaged file)"
    )
