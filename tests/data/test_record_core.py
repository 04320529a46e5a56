"""The shared benchmark core: Protocol (frames, resize, queries), padding collate, safe pickles."""

from __future__ import annotations

import contextlib
import os
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sen_core.data import (
    Protocol,
    Record,
    RecordDataset,
    Source,
    clip_scores,
    load_pickle,
    queries_strided,
)
from sen_core.errors import InputError


def _record(t=7, h=40, w=60, n=3, seed=0, vid="a"):
    rng = np.random.default_rng(seed)
    return Record(
        ids={"video": vid},
        source=Source(frames=rng.integers(0, 255, (t, h, w, 3), dtype=np.uint8)),
        tracks=rng.random((n, t, 2)) * [w, h],
        occluded=rng.random((n, t)) < 0.3,
    )


def test_full_resize_scales_points_without_crop():
    """TAP-Vid: the whole frame to 32x32; every point maps by (32/W, 32/H), none is cropped away."""
    rec = _record()
    s = Protocol(frames="all", resize="full", size=32, query_mode="first").sample(rec)
    assert s["video"].shape == (7, 32, 32, 3)
    keep = s["track_index"]
    np.testing.assert_allclose(s["tracks"], (rec.tracks * [32 / 60, 32 / 40])[keep], rtol=1e-6)
    np.testing.assert_array_equal(s["visible"], ~rec.occluded[keep])


def test_strided_queries_follow_the_reference_order():
    """One query per point visible at frames 0, 5, 10, ... ordered by frame then track."""
    vis = np.array([[1, 0, 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 1, 0], [1, 1, 0, 0, 0, 0, 0]], bool)
    tracks, frames = queries_strided(vis, 5)
    assert tracks.tolist() == [0, 2, 0, 1] and frames.tolist() == [0, 0, 5, 5]


def test_given_queries_become_output_pixels():
    rec = _record()
    rec = Record(**{**rec.__dict__, "query_points": np.array([[2, 10.0, 30.0]])})
    s = Protocol(frames="all", resize="full", size=(20, 30), query_mode="given").sample(rec)
    np.testing.assert_allclose(s["query_points"], [[2, 30 * 0.5, 10 * 0.5]])
    assert s["query_mode"] == "strided"


def test_collate_pads_frames_and_points_with_masks():
    ds = RecordDataset(
        [_record(), _record(t=5, n=2, seed=1, vid="b")],
        Protocol(frames="all", resize="full", size=16, query_mode="first"),
    )
    a, b = ds[0], ds[1]
    batch = ds.collate([a, b])
    q0, q1 = len(a["query_points"]), len(b["query_points"])
    assert batch["video"].shape[:2] == (2, 7)
    assert batch["frame_mask"].tolist() == [[True] * 7, [True] * 5 + [False] * 2]
    assert batch["point_mask"].sum(1).tolist() == [q0, q1]
    assert batch["ids"] == [{"video": "a"}, {"video": "b"}]
    assert torch.equal(batch["video"][1, 5:], torch.zeros_like(batch["video"][1, 5:]))


def test_moments_stay_exact_seconds():
    """GT [122, 132] of a 150-s clip is [122, 132] in seconds, not a float32 round trip."""
    rec = Record(
        ids={"qid": 1},
        source=Source(frames=np.zeros((75, 8, 8, 3), np.uint8), fps=0.5),
        duration=150.0,
        moments=np.array([[122.0, 132.0]]),
        saliency=np.tile([[4, 3, 2]], (75, 1)).astype(np.float32),
        clip_length=2.0,
    )
    s = Protocol(frames="count", num_frames=4, resize="none").sample(rec)
    assert s["moments_seconds"].tolist() == [[122.0, 132.0]] and s["duration"] == 150.0
    assert s["saliency_clips"].shape == (75, 3) and s["saliency"].shape == (4,)


def test_clip_scores_picks_the_frame_at_each_clip_centre():
    scores = np.arange(4.0)  # 4 frames over 8 s: frame k covers [2k, 2k+2)
    assert clip_scores(scores, 8.0, 2.0, 4).tolist() == [0, 1, 2, 3]
    assert clip_scores(scores, 8.0, 4.0, 2).tolist() == [1, 3]


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_safe_pickle_reads_arrays_and_refuses_other_classes(tmp_path):
    good = tmp_path / "good.pkl"
    data = {"v": {"video": np.zeros((2, 4, 4, 3), np.uint8), "n": np.float64(1.5), "l": [1, "a"]}}
    good.write_bytes(pickle.dumps(data, protocol=2))
    out = load_pickle(good)
    assert out["v"]["video"].shape == (2, 4, 4, 3) and out["v"]["n"] == 1.5
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps({"x": _Evil()}))
    with pytest.raises(InputError, match=r"bad.pkl: refused to unpickle '(posix|nt|os)\.system'"):
        load_pickle(bad)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_safe_pickle_never_raises_anything_but_input_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("p") / "x.pkl"
    path.write_bytes(blob)
    with contextlib.suppress(InputError):
        load_pickle(path)
