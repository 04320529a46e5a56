"""sen/kubric-lite@1: determinism, splits, exact visibility, rigid tracks, photo textures, schema."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.errors import ConfigError
from sen_core.testing import DATASET_CHECKS, Case
from sen_data.kubric_lite.render import render, visibility
from sen_data.kubric_lite.scene import DIRECTION, Scene, SceneObject
from sen_data.kubric_lite.text import behind, runs
from sen_data.kubric_lite.textures import COLOURS, texture_bank

NAME = "sen/kubric-lite@1"
SMALL = {"num_samples": 32, "frames": 6, "image_size": 32, "num_points": 64}


@pytest.fixture
def kubric(make_dataset):
    """``kubric(split='train', **params)``: sen/kubric-lite@1 at 6 frames of 32x32, 64 points."""
    return lambda split="train", **p: make_dataset(NAME, split, **{**SMALL, **p})


def _plain(colour: str) -> np.ndarray:
    return np.asarray(COLOURS[colour], np.uint8).reshape(1, 1, 3)


def _scene(objects: list[tuple[str, str, tuple[float, float], float]], cam_x: list[float], S=32):
    """A hand-made scene: static plain-colour objects (shape, colour, world centre, radius) drawn
    in list order over a grey background, a camera at zoom 1 panning to ``cam_x``."""
    T = len(cam_x)
    cam = np.stack([np.asarray(cam_x, float), np.zeros(T)], axis=1)
    objs = [
        SceneObject(shape, colour, "static", _plain(colour), np.tile(c, (T, 1)), np.full(T, r))
        for shape, colour, c, r in objects
    ]
    bg = np.full((4, 4, 3), 100, np.uint8)
    return Scene(
        T, S, bg, np.array([-2.0, -2.0]), 5.0, cam, np.ones(T), objs, list(range(len(objs)))
    )


def test_same_index_same_clip_and_the_seed_changes_it(kubric):
    """(seed, split, index) fixes a clip, whatever was read before; another seed gives other scenes."""
    a, b = kubric(), kubric()
    b.render(5)
    for i in (0, 3):
        ra, rb = a.render(i), b.render(i)
        for key in ("video", "tracks", "visible", "query_points", "moments", "saliency"):
            np.testing.assert_array_equal(ra[key], rb[key])
        assert (ra["caption"], ra["question"], ra["query"]) == (
            rb["caption"],
            rb["question"],
            rb["query"],
        )
    other = kubric(seed=1)
    assert not np.array_equal(a.render(0)["video"], other.render(0)["video"])


def test_splits_are_disjoint(kubric):
    """train / val / test draw from different streams: no clip of one split appears in another."""
    digests = {}
    for split in ("train", "val", "test"):
        ds = kubric(split)
        digests[split] = {ds.render(i)["video"].tobytes() for i in range(12)}
        assert len(digests[split]) == 12
    assert not digests["train"] & digests["val"]
    assert not digests["train"] & digests["test"]
    assert not digests["val"] & digests["test"]


def test_a_point_under_an_occluder_is_occluded():
    """A red disc under a blue box: its points under the box are occluded, the others visible,
    the box's points and the background outside both visible; the pixel shows the box."""
    scene = _scene([("disc", "red", (0.4, 0.5), 0.25), ("box", "blue", (0.7, 0.5), 0.2)], [0.0] * 2)
    r = render(scene)
    S = scene.size
    # disc points: one far from the box, one well inside the box; one box point; one bg point
    xy = np.array([[0.25, 0.5], [0.6, 0.5], [0.7, 0.45], [0.1, 0.1]]) * S
    tracks = np.repeat(xy[:, None, :], 2, axis=1).astype(np.float32)
    vis = visibility(r.owner, tracks, np.array([0, 0, 1, -1]))
    assert vis.tolist() == [[True, True], [False, False], [True, True], [True, True]]
    x, y = (xy[1]).astype(int)
    assert r.video[0, y, x].tolist() == list(COLOURS["blue"])
    assert behind(r, 0, 1).all() and not behind(r, 1, 0).any()


def test_leaving_the_frame_occludes_and_reentry_makes_visible_again():
    """The camera pans left and back: a still disc near the right edge leaves the frame and returns."""
    scene = _scene([("disc", "red", (0.8, 0.5), 0.08)], [0.0, -0.1, -0.4, -0.1, 0.0])
    r = render(scene)
    centre = ((scene.objects[0].centre - scene.cam) * scene.size)[None].astype(np.float32)
    vis = visibility(r.owner, centre, np.array([0]))[0]
    assert vis.tolist() == [True, True, False, True, True]
    assert centre[0, 2, 0] >= scene.size  # out of frame, position still known
    assert (r.owner[2] == 0).sum() == 0 and (r.owner[0] == 0).sum() > 0


def test_visibility_is_exact_for_sampled_tracks(kubric):
    """For every tracked point: visible iff inside the frame and the pixel holding it is owned by
    the point's object (or the background); plain-colour objects show their colour there."""
    ds = kubric(num_objects=4)
    for i in range(6):
        s = ds.render(i)
        owner, tr, vis, ids = s["rendered"].owner, s["tracks"], s["visible"], s["point_ids"]
        T, S = owner.shape[:2]
        inside = (tr[..., 0] >= 0) & (tr[..., 0] < S) & (tr[..., 1] >= 0) & (tr[..., 1] < S)
        xi = np.clip(tr[..., 0].astype(int), 0, S - 1)
        yi = np.clip(tr[..., 1].astype(int), 0, S - 1)
        own = owner[np.arange(T)[None], yi, xi]
        np.testing.assert_array_equal(vis, inside & (own == ids[:, None]))
        assert vis.any(axis=1).all()  # every point is visible at least once
        assert (ids >= 0).sum() >= 16 and (ids == -1).sum() >= 16  # on objects and background
        for q in np.flatnonzero(ids >= 0):
            obj = s["scene"].objects[ids[q]]
            if obj.appearance in COLOURS:
                t = np.flatnonzero(vis[q])
                assert (s["video"][t, yi[q, t], xi[q, t]] == COLOURS[obj.appearance]).all()
        qp = s["query_points"]
        t = qp[:, 0].astype(int)
        assert vis[np.arange(len(t)), t].all()
        np.testing.assert_array_equal(qp[:, 1:], tr[np.arange(len(t)), t])


def test_tracks_follow_the_object_and_the_camera(kubric):
    """A point on an object keeps its place in the object's frame (moves by the object's
    displacement and scale, seen through the camera); a background point stays put in the world."""
    ds = kubric(camera_pan=0.5, camera_zoom=0.4)
    for i in range(6):
        s = ds.render(i)
        sc = s["scene"]
        world = sc.cam[None] + s["tracks"].astype(np.float64) / (sc.zoom[None, :, None] * sc.size)
        for q, k in enumerate(s["point_ids"]):
            if k < 0:
                np.testing.assert_allclose(
                    world[q], np.repeat(world[q, :1], sc.frames, 0), atol=1e-4
                )
            else:
                o = sc.objects[k]
                local = (world[q] - o.centre) / o.radius[:, None]
                np.testing.assert_allclose(local, np.repeat(local[:1], sc.frames, 0), atol=1e-3)
        target = sc.objects[0]
        d = target.centre[-1] - target.centre[0]
        unit = np.asarray(DIRECTION[target.motion])
        assert d @ unit > 0.3 and abs(d @ np.array([-unit[1], unit[0]])) < 1e-9


def test_textures_are_real_photo_crops(kubric):
    """Backgrounds and photo appearances are views into the photos shipped by scikit-image /
    scikit-learn (at one pyramid level), and the background pixels of a clip come from that crop."""
    import skimage.data

    bank = texture_bank()
    levels = dict(bank.backgrounds)
    np.testing.assert_array_equal(levels["coffee"][0], skimage.data.coffee())
    s = kubric(num_objects=1).render(0)
    sc = s["scene"]
    assert any(np.shares_memory(sc.background, lvl) for lvl in levels[sc.meta["background"]])
    bg_pixels = s["video"][s["rendered"].owner == -1]
    crop_colours = {tuple(c) for c in sc.background.reshape(-1, 3)}
    assert {tuple(c) for c in bg_pixels[:: max(1, len(bg_pixels) // 200)]} <= crop_colours
    rng = np.random.default_rng(0)
    brick = bank.appearance("brick", rng, texels=32)
    assert brick.shape[0] >= 16 and any(
        np.shares_memory(brick, lvl) for lvl in bank.photos["brick"]
    )


def test_class_vocabulary_is_fixed_and_labels_name_the_target(kubric):
    """class_names = shapes x motions, the same for every split and seed; the label is the target's."""
    names = kubric().class_names
    assert len(names) == 16 and names[:2] == ["a disc moving left", "a disc moving right"]
    assert kubric("test", seed=7).class_names == names
    ds = kubric("val")
    for i in range(8):
        s = ds.render(i)
        t = s["scene"].objects[0]
        assert names[s["label"]] == f"a {t.shape} moving {t.motion}"
        assert t.name in s["caption"] and f"moves {t.motion}" in s["caption"]


def test_moments_and_saliency_match_the_scene(kubric):
    """The query's moments are the frames it describes; saliency is 1 exactly on those frames."""
    ds = kubric(frames=8, num_objects=4)
    for i in range(12):
        s = ds.render(i)
        sc, T = s["scene"], 8
        target = sc.objects[0]
        frames = np.zeros(T, bool)
        for a, b in s["moments"]:
            frames[round(a * T) : round(b * T)] = True
        np.testing.assert_array_equal(s["saliency"], frames.astype(np.float32))
        q = s["query"]
        assert q.startswith(f"the {target.name} ")
        if q.endswith(f"moves {target.motion}"):
            assert runs(frames) == [target.moving]
        elif " is behind the " in q:
            k = next(k for k, o in enumerate(sc.objects) if q.endswith(f"behind the {o.name}"))
            np.testing.assert_array_equal(frames, behind(s["rendered"], 0, k))
        else:
            assert q.endswith("is out of view")
            np.testing.assert_array_equal(frames, ~(s["rendered"].owner == 0).any(axis=(1, 2)))


def test_batch_schema_and_collate(kubric):
    """Samples carry the schema of docs/datasets.md and batch with the shared collate."""
    ds = kubric()
    batch = ds.collate([ds[0], ds[1]])
    assert (
        tuple(batch["video"].shape) == (2, 6, 32, 32, 3)
        and str(batch["video"].dtype) == "torch.uint8"
    )
    assert tuple(batch["tracks"].shape) == (2, 64, 6, 2) and tuple(batch["visible"].shape) == (
        2,
        64,
        6,
    )
    assert tuple(batch["query_points"].shape) == (2, 64, 3) and tuple(batch["saliency"].shape) == (
        2,
        6,
    )
    assert batch["class_names"] == ds.class_names and batch["fps"] == 8.0
    assert all(isinstance(batch[k][0], str) for k in ("caption", "question", "answer", "query"))
    m = batch["moments"][0]
    assert m.ndim == 2 and (m[:, 0] < m[:, 1]).all() and m.min() >= 0 and m.max() <= 1


@pytest.mark.parametrize("check", DATASET_CHECKS, ids=lambda c: c.__name__)
def test_conformance_kit(check):
    check(Case("dataset", NAME, dict(SMALL)))


def test_tapvid_fields(kubric):
    """tapvid(i): query_points (t, y, x), target_points (x, y) px, occluded = not visible."""
    ds = kubric()
    clip, s = ds.tapvid(2), ds.render(2)
    assert clip["video"].dtype == np.uint8 and clip["video"].shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(clip["occluded"], ~s["visible"])
    np.testing.assert_array_equal(clip["target_points"], s["tracks"])
    qp = clip["query_points"]
    t = qp[:, 0].astype(int)
    np.testing.assert_array_equal(qp[:, [2, 1]], clip["target_points"][np.arange(len(t)), t])
    assert not clip["occluded"][np.arange(len(t)), t].any()


def test_write_command_writes_the_split_and_refuses_to_overwrite(tmp_path, kubric):
    out = tmp_path / "kl"
    args = ["data", "write-kubric-lite", str(out), "--split", "val", "--num", "2"]
    small = ["--frames", "6", "--image-size", "32", "--points", "64"]
    res = CliRunner().invoke(cli, [*args, *small])
    assert res.exit_code == 0, res.output
    index = json.loads((out / "val" / "index.json").read_text())
    assert [c["file"] for c in index["clips"]] == ["00000.npz", "00001.npz"]
    ds = kubric("val", num_samples=2)
    with np.load(out / "val" / "00001.npz", allow_pickle=False) as z:
        ref = ds.tapvid(1)
        assert sorted(z.files) == sorted(ref)
        for key in ref:
            np.testing.assert_array_equal(z[key], ref[key])
    again = CliRunner().invoke(cli, [*args, *small])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = CliRunner().invoke(
        cli, ["data", "write-kubric-lite", str(tmp_path / "x"), "--objects", "9"]
    )
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()


def test_bad_params_are_reported(make_dataset):
    with pytest.raises(ConfigError) as exc:
        make_dataset(NAME, shapes=["disc", "hexagon"], motions=[], colour=1)
    text = str(exc.value) + " ".join(getattr(exc.value, "problems", []) or [])
    assert "hexagon" in text and "params.motions" in text and "params.colour" in text
