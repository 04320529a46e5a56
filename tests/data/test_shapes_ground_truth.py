"""sen/shapes@1 ground truth agrees with the rendered pixels: labels, moments, saliency, tracks, texts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sen_core.errors import ConfigError
from sen_data.shapes import PALETTE


def _centroids(video: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(T, 2) xy centroid of the non-background pixels of each frame."""
    mask = np.abs(video.astype(int) - background).sum(-1) > 0  # (T, H, W)
    ys, xs = np.mgrid[: video.shape[1], : video.shape[2]]
    return np.stack([[(xs * m).sum() / m.sum(), (ys * m).sum() / m.sum()] for m in mask])


def test_class_names_are_shape_times_motion(shapes):
    """Default classes: 3 shapes x 4 directions, as readable zero-shot prompts."""
    ds = shapes()
    assert len(ds.class_names) == 12 and ds.class_names[:4] == [
        "a circle moving left",
        "a circle moving right",
        "a circle moving up",
        "a circle moving down",
    ]
    assert ds.class_names[-1] == "a triangle moving down"
    still = shapes(shapes=["square"], motions=["static", "up"])
    assert still.class_names == ["a square standing still", "a square moving up"]


def test_labels_match_the_rendered_motion(shapes):
    """The target's pixel centroid moves in the labelled direction (and not at all when static)."""
    ds = shapes(num_shapes=1, motions=["left", "right", "up", "down", "static"], num_samples=60)
    seen = set()
    for i in range(len(ds)):
        r = ds.render(i)
        d = _centroids(r["video"], r["scene"]["background"])
        dx, dy = d[-1] - d[0]
        name = ds.class_names[r["label"]]
        seen.add(name.split()[-1])
        if name.endswith("still"):
            assert abs(dx) < 1e-6 and abs(dy) < 1e-6, (i, name)
            continue
        along, across = (dx, dy) if name.endswith(("left", "right")) else (dy, dx)
        sign = -1 if name.endswith(("left", "up")) else 1
        assert sign * along > 3 and abs(across) < 0.5 * abs(along), (i, name, dx, dy)
    assert seen == {"left", "right", "up", "down", "still"}


def test_every_class_needs_time_to_tell_apart(shapes):
    """Each shape appears with every motion, and the mid-clip positions overlap across motions."""
    ds = shapes(num_samples=200)
    mids: dict[str, Any] = {}  # motion -> list of positions, then an array
    for i in range(len(ds)):
        r = ds.render(i)
        mids.setdefault(r["scene"]["motion"], []).append(r["scene"]["centres"][0].mean(0))
    assert set(mids) == {"left", "right", "up", "down"}
    for m in (
        mids.values()
    ):  # the clip-average position lies in the same central square for every motion
        m = np.asarray(m) / 32
        assert m.min() >= 0.29 and m.max() <= 0.71


def test_moments_and_saliency(shapes):
    """One moment in [0, 1] with start < end; saliency is 1 exactly on the frames it covers."""
    ds = shapes(num_samples=40)
    for i in range(len(ds)):
        s = ds[i]
        m, sal = s["moments"].numpy(), s["saliency"].numpy()
        assert m.shape == (1, 2) and 0 <= m[0, 0] < m[0, 1] <= 1
        frames = (np.arange(8) + 0.5) / 8
        np.testing.assert_array_equal(
            sal, ((frames >= m[0, 0]) & (frames < m[0, 1])).astype(np.float32)
        )
        assert sal.sum() >= 2  # spans last 2..4 of 8 frames


def test_the_event_is_the_colour_change(shapes):
    """The target shows the event colour exactly on the salient frames, its own colour elsewhere."""
    ds = shapes(num_shapes=1, num_samples=20)
    for i in range(len(ds)):
        r = ds.render(i)
        sc = r["scene"]

        def has(colour, r=r):
            return (r["video"] == np.asarray(PALETTE[colour], np.uint8)).all(-1).any((1, 2))

        salient = r["saliency"] > 0
        np.testing.assert_array_equal(has(sc["event_colour"]), salient)
        np.testing.assert_array_equal(has(sc["colour"]), ~salient)
        assert r["query"] == f"the {sc['shape']} turns {sc['event_colour']}"


def test_visible_track_points_lie_on_a_shape_inside_the_frame(shapes):
    """Visible points are inside the image on a non-background pixel; points outside are never visible."""
    ds = shapes(num_shapes=3, num_samples=40)
    for i in range(len(ds)):
        r = ds.render(i)
        xy, vis = r["tracks"], r["visible"]
        inside = (xy[..., 0] >= 0) & (xy[..., 0] < 32) & (xy[..., 1] >= 0) & (xy[..., 1] < 32)
        assert not (vis & ~inside).any()
        q, t = np.nonzero(vis)
        px = r["video"][t, np.floor(xy[q, t, 1]).astype(int), np.floor(xy[q, t, 0]).astype(int)]
        assert (np.abs(px.astype(int) - r["scene"]["background"]).sum(-1) > 0).all()


def test_targets_points_move_with_the_target(shapes):
    """The first half of the points ride on the target: their steps equal the target's velocity."""
    ds = shapes(num_points=4)
    r = ds.render(0)
    step = np.diff(r["scene"]["centres"][0], axis=0)  # (T-1, 2)
    for q in range(2):
        np.testing.assert_allclose(np.diff(r["tracks"][q], axis=0), step, atol=1e-4)


def test_occlusion_and_leaving_the_frame_both_hide_points(shapes):
    """Across clips some points are hidden by another shape and some by leaving the image."""
    ds = shapes(num_shapes=4, num_samples=60)
    occluded = outside = 0
    for i in range(len(ds)):
        r = ds.render(i)
        xy, vis = r["tracks"], r["visible"]
        inside = (xy[..., 0] >= 0) & (xy[..., 0] < 32) & (xy[..., 1] >= 0) & (xy[..., 1] < 32)
        occluded += int((~vis & inside).sum())
        outside += int((~inside).sum())
    assert occluded > 0 and outside > 0


def test_query_points_are_visible_track_points(shapes):
    """Each query point (t, x, y) is its track's position at a frame where it is visible."""
    ds = shapes(num_shapes=3, num_samples=20)
    for i in range(len(ds)):
        s = ds[i]
        for q, (t, x, y) in enumerate(s["query_points"].tolist()):
            assert t == int(t) and s["visible"][q, int(t)]
            assert (x, y) == tuple(s["tracks"][q, int(t)].tolist())


def test_questions_answers_and_captions_describe_the_scene(shapes):
    """Every QA pair, caption and query is true of the scene that was rendered."""
    ds = shapes(num_samples=60)
    kinds = set()
    for i in range(len(ds)):
        r = ds.render(i)
        sc = r["scene"]
        q, a = r["question"], r["answer"]
        if q.startswith("which way"):
            assert q == f"which way does the {sc['shape']} move?" and a == sc["motion"]
        elif q == "which shape changes colour?":
            assert a == sc["shape"]
        else:
            assert q == f"what colour does the {sc['shape']} turn?" and a == sc["event_colour"]
        kinds.add(q.split()[0] + q.split()[1])
        assert (
            r["caption"]
            .split(" and ")[0]
            .endswith(f"{sc['colour']} {sc['shape']} moves {sc['motion']}")
        )
        assert f"briefly turns {sc['event_colour']}" in r["caption"]
    assert len(kinds) == 3


def test_invalid_params_list_every_problem(shapes):
    """Unknown and out-of-range params are all reported in one ConfigError."""
    with pytest.raises(ConfigError) as err:
        shapes(frames=1, motions=["sideways"], colour="red")
    msg = str(err.value)
    assert msg.startswith(
        "dataset 'sen/shapes@1': invalid params (it takes: num_samples, frames, image_size,"
    )
    assert "  - params.frames: Input should be greater than or equal to 2" in msg
    assert "  - params.motions.0: Input should be 'left', 'right', 'up', 'down' or 'static'" in msg
    assert "  - params.colour: unknown parameter" in msg
