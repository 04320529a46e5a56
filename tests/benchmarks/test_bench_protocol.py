"""The benchmark protocols: CLIP4Clip's metrics on the full matrix, captions per epoch, test views."""

from __future__ import annotations

import pytest
import torch
from _bench_layouts import write_kinetics, write_msrvtt

from sen_core.catalogue import get_catalogue, import_ref
from sen_heads.metrics_classify import TopKMeter, average_views
from sen_heads.metrics_retrieval import RetrievalMeter, retrieval_metrics

# a 12 x 12 text x video similarity matrix with ties (rounded to 0.1), and what ArrowLuo/CLIP4Clip's
# metrics.py compute_metrics gives on it (computed once by running the reference code; percent):
# tv = compute_metrics(SIM), vt = compute_metrics(SIM.T)
SIM = [
    [0.4, 1.2, 1.4, 0.3, 0.4, -0.5, -0.9, -0.9, -1.0, 0.9, -0.1, 0.1],
    [-0.6, -0.3, -1.2, -0.8, 0.6, 0.0, -0.5, -0.2, -1.4, 1.2, -1.2, 0.0],
    [2.1, -2.6, -0.6, -0.7, 0.1, -1.7, -0.2, -0.0, 0.2, -2.4, 0.6, 1.6],
    [0.4, -0.7, -0.6, -1.8, 0.5, 1.5, 0.7, -3.0, -0.4, -0.1, -0.5, 1.0],
    [-1.7, -0.7, 0.6, 1.0, 1.0, 1.1, 0.5, -1.1, 1.3, -0.5, -1.6, 0.4],
    [1.8, 1.0, 1.0, 0.2, -2.5, 1.5, 0.2, -2.6, -0.7, -0.9, 1.1, 0.1],
    [0.3, 0.2, -1.3, -2.0, 0.1, -0.3, 0.8, -0.2, -0.5, 0.6, 0.2, -0.6],
    [-1.9, -2.6, -1.4, -0.2, 0.9, -0.4, 0.7, 2.0, 2.4, 0.3, 1.5, 0.2],
    [-1.2, -2.3, 0.3, 0.9, 2.5, -0.7, 0.5, -0.1, -1.6, 0.4, -0.3, -1.3],
    [1.7, -0.6, 0.5, -0.3, -0.7, -0.2, 0.8, -0.7, -1.7, 2.6, 0.4, -1.0],
    [-0.1, -1.6, -0.1, 0.9, -1.9, 0.9, 0.8, -0.3, 0.1, -0.3, 0.4, -1.9],
    [1.6, -0.7, 0.1, -0.2, 0.5, 0.6, -1.0, 0.4, -0.3, -0.9, 1.3, 2.0],
]
GOLDEN_TV = {
    "R1": 21.428571428571427,
    "R5": 71.42857142857143,
    "R10": 85.71428571428571,
    "MR": 4.0,
    "MeanR": 4.5,
}
GOLDEN_VT = {
    "R1": 27.77777777777778,
    "R5": 66.66666666666667,
    "R10": 88.88888888888889,
    "MR": 3.5,
    "MeanR": 4.388888888888889,
}


def _as_sen(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {
        "R1": 100 * metrics[f"{prefix}R@1"],
        "R5": 100 * metrics[f"{prefix}R@5"],
        "R10": 100 * metrics[f"{prefix}R@10"],
        "MR": metrics[f"{prefix}MdR"],
        "MeanR": metrics[f"{prefix}MnR"],
    }


def test_full_matrix_metrics_equal_clip4clip_compute_metrics():
    sim = torch.tensor(SIM, dtype=torch.float64)  # rows: texts
    out = retrieval_metrics(sim.t(), ties="clip4clip")  # SEN's matrix: rows videos
    assert _as_sen(out, "t2v_") == pytest.approx(GOLDEN_TV, abs=1e-9)
    assert _as_sen(out, "v2t_") == pytest.approx(GOLDEN_VT, abs=1e-9)


def test_retrieval_meter_accumulates_batches_into_the_full_matrix():
    sim = torch.tensor(SIM, dtype=torch.float64)
    video, text = torch.eye(12, dtype=torch.float64), sim  # video @ text.T = SIM.T (videos x texts)
    meter = RetrievalMeter(ties="clip4clip")
    for lo in range(0, 12, 5):  # batches of 5, 5, 2: ranks are over all 12, not within a batch
        meter.update({"video_emb": video[lo : lo + 5], "text_emb": text[lo : lo + 5]}, {})
    out = meter.compute()
    assert _as_sen(out, "t2v_") == pytest.approx(GOLDEN_TV, abs=1e-6)
    assert _as_sen(out, "v2t_") == pytest.approx(GOLDEN_VT, abs=1e-6)


def _dataset(name, split, **params):
    spec = get_catalogue().get(name, kind="dataset")
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


def test_msrvtt_caption_per_epoch_is_a_function_of_seed_and_epoch(tmp_path, clips):
    root = write_msrvtt(tmp_path, clips, n_train=3, n_test=2)
    kw = {"root": str(root), "frames": 2, "image_size": 32}
    ds = _dataset("sen/msrvtt-data@1", "train", **kw)

    def captions(d, epoch):
        d.set_epoch(epoch)
        return [d[i]["caption"] for i in range(len(d))]

    e0, e1 = captions(ds, 0), captions(ds, 1)
    assert e0 != e1  # a new draw each epoch (3 videos x 20 captions: equal by chance 1 in 8000)
    assert captions(ds, 0) == e0 == [ds[i]["caption"] for i in range(3)]  # reading twice agrees
    assert captions(_dataset("sen/msrvtt-data@1", "train", **kw), 1) == e1  # fresh dataset
    assert captions(_dataset("sen/msrvtt-data@1", "train", **kw, seed=1), 1) != e1
    assert all(c.endswith(f"of video{i}") for i, c in enumerate(e0))
    drawn = {captions(ds, e)[0] for e in range(40)}
    assert len(drawn) > 10  # many of video0's 20 captions come up
    test = _dataset("sen/msrvtt-data@1", "test", **kw)
    assert [test[i]["caption"] for i in range(2)] == [
        "test caption of video1000",
        "test caption of video1001",
    ]
    assert len(_dataset("sen/msrvtt-data@1", "train", **kw, caption="all")) == 60


def test_kinetics_test_views_on_held_out_splits_only(tmp_path, clips):
    root = write_kinetics(tmp_path, clips, per_class=1)
    kw = {"root": str(root), "frames": 2, "image_size": 16, "clips": 2, "crops": 3}
    assert len(_dataset("sen/kinetics-data@1", "train", **kw)) == 3
    val = _dataset("sen/kinetics-data@1", "val", **kw)
    assert len(val) == 18
    batch = val.collate([val[i] for i in range(6)])
    assert batch["view"] == list(range(6))
    assert all(i == batch["ids"][0] for i in batch["ids"])
    assert batch["video"].shape == (6, 2, 16, 16, 3)


def test_views_average_softmax_probabilities_per_video():
    logits = torch.tensor([[4.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 3.0]])
    keys, probs = average_views(["a", "a", "a", "b"], logits)
    p = logits.softmax(-1)
    assert keys == ["a", "b"]
    assert torch.allclose(probs, torch.stack([p[:3].mean(0), p[3]]))
    # video a: mean prob of class 0 = (0.982 + 0.269 + 0.269) / 3 = 0.507 -> class 0 (logit mean
    # would say so too); one correct video of two
    meter = TopKMeter(ks=(1,))
    ids = [{"id": "a"}] * 3 + [{"id": "b"}]
    meter.update(
        {"logits": logits[:2]}, {"label": torch.tensor([0, 0]), "ids": ids[:2], "view": [0, 1]}
    )
    meter.update(
        {"logits": logits[2:]}, {"label": torch.tensor([0, 0]), "ids": ids[2:], "view": [2, 0]}
    )
    assert meter.compute() == {"top1": 0.5}
    meter.reset()
    assert meter.compute() == {"top1": 0.0}


def test_training_stream_sets_each_epoch_on_the_dataset():
    from sen_core.train.data import BatchStream
    from sen_core.train.distributed import DistInfo

    class Data(torch.utils.data.Dataset):
        def __init__(self):
            self.epochs = []

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return torch.tensor(len(self.epochs))

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    data = Data()
    stream = iter(BatchStream(data, batch_size=2, seed=0, info=DistInfo()))
    batches = [next(stream) for _ in range(5)]  # 2 batches an epoch: epochs 0, 1, 2
    assert data.epochs == [0, 1, 2]
    assert [int(b[0]) for b in batches] == [1, 1, 2, 2, 3]


def test_multi_view_protocol_clips_by_crops():
    """clips x crops test views at the protocol level: which frames and which pixels each view holds."""
    import numpy as np

    from sen_core.data import Protocol, Record, RecordDataset, Source
    from sen_core.errors import InputError

    t_idx, x_idx = np.meshgrid(np.arange(16), np.arange(32), indexing="ij")
    frames = np.zeros((16, 16, 32, 3), np.uint8)  # 16 frames of 32 x 16 px: R = frame, G = column
    frames[..., 0] = t_idx[:, None, :]
    frames[..., 1] = x_idx[:, None, :]
    record = Record(ids={"video_id": "v0"}, source=Source(frames=frames, fps=8.0), label=3)
    p = Protocol(frames="count", num_frames=4, resize="short_crop", size=16, clips=2, crops=3)
    assert p.views == 6
    expect_t = {0: [1, 3, 5, 7], 1: [9, 11, 13, 15]}  # centres of 4 segments of each half
    for view in range(6):
        clip, crop = divmod(view, 3)
        s = p.sample(record, view)
        assert s["view"] == view and s["ids"] == {"video_id": "v0"} and s["label"] == 3
        assert s["video"].shape == (4, 16, 16, 3)
        assert s["video"][:, 0, 0, 0].tolist() == expect_t[clip]
        left = 8 * crop  # left, centre, right along the longer side
        assert s["video"][0, 0, :, 1].tolist() == list(range(left, left + 16))
    ds = RecordDataset([record, record], p, name="test")
    assert len(ds) == 12 and ds[7]["view"] == 1  # record 1, view 1
    with pytest.raises(InputError, match=r"clips > 1 needs frames='count'"):
        Protocol(frames="all", clips=2)
