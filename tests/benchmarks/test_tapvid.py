"""TAP-Vid readers in the official layouts; sen/tapvid-davis@1 trains, evaluates and predicts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _bench_fixtures import (
    TINY_MODEL,
    davis_entries,
    write_davis,
    write_kinetics,
    write_kubric,
    write_rgb_stacking,
)
from click.testing import CliRunner

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.cli import cli
from sen_core.errors import InputError


def _dataset(name, split="test", **params):
    spec = get_catalogue().get(name)
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


def test_davis_reader_matches_the_reference_protocol(tmp_path):
    """Every frame, 256x256 without crop, points x 256, strided queries every 5th frame."""
    write_davis(tmp_path)
    ds = _dataset("sen/tapvid-davis-data@1", root=str(tmp_path))
    e = davis_entries()["bear"]
    s = ds[0]
    assert s["video"].shape == (9, 256, 256, 3) and s["ids"] == {"video": "bear"}
    vis = ~e["occluded"]
    expect = [(n, t) for t in (0, 5) for n in range(3) if vis[n, t]]
    got = list(zip(s["track_index"].tolist(), s["query_points"][:, 0].int().tolist(), strict=True))
    assert got == expect
    np.testing.assert_allclose(
        s["tracks"].numpy(), (e["points"] * 256)[s["track_index"].numpy()], rtol=1e-5
    )


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("sen/tapvid-rgb-stacking-data@1", write_rgb_stacking),
        ("sen/tapvid-kinetics-data@1", write_kinetics),
    ],
)
def test_other_pickle_variants_read(tmp_path, name, write):
    write(tmp_path)
    ds = _dataset(name, root=str(tmp_path), query_mode="first")
    b = ds.collate([ds[0], ds[1]])
    assert b["video"].shape[:2] == (2, 9) and b["frame_mask"].sum(1).tolist() == [9, 6]


def test_kubric_given_queries(tmp_path):
    write_kubric(tmp_path, "train")
    ds = _dataset("sen/tapvid-kubric-data@1", split="train", root=str(tmp_path))
    z = np.load(tmp_path / "train" / "movi0.npz")
    s = ds[0]
    qp = z["query_points"]
    np.testing.assert_allclose(s["query_points"].numpy(), qp[:, [0, 2, 1]] * [1, 8, 8], rtol=1e-5)
    assert s["query_mode"] == "strided" and s["video"].dtype.is_floating_point is False


def test_bad_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match=r"file not found: .*tapvid_davis\.pkl"):
        _dataset("sen/tapvid-davis-data@1", root=str(tmp_path))
    write_rgb_stacking(tmp_path)
    (tmp_path / "tapvid_davis.pkl").write_bytes((tmp_path / "tapvid_rgb_stacking.pkl").read_bytes())
    with pytest.raises(InputError, match=r"is a dict of video name .* got list"):
        _dataset("sen/tapvid-davis-data@1", root=str(tmp_path))
    import pickle

    e = davis_entries()
    e["bear"]["points"] = e["bear"]["points"][:, :5]
    e["bear"]["occluded"] = e["bear"]["occluded"][:, :5]
    (tmp_path / "tapvid_davis.pkl").write_bytes(pickle.dumps(e))
    with pytest.raises(
        InputError, match="entry bear: the video has 9 frames but the annotations 5"
    ):
        _dataset("sen/tapvid-davis-data@1", root=str(tmp_path))


def test_davis_preset_trains_evaluates_predicts(tmp_path, monkeypatch):
    """The preset with the data root overridden (tiny towers, 2 steps): batch size 2, uneven videos."""
    monkeypatch.chdir(tmp_path)
    write_davis(tmp_path / "davis")
    run = tmp_path / "run"
    r = CliRunner().invoke(
        cli,
        [
            "train",
            "sen/tapvid-davis@1",
            "data.params.root=davis",
            *TINY_MODEL,
            "train.steps=2",
            "train.eval_every=2",
            "train.checkpoint_every=2",
            "--run-dir",
            str(run),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["eval", str(run), "--json"])
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.output)["metrics"]
    r = CliRunner().invoke(
        cli,
        ["predict", str(run), "--out", "p.npz", "--visualize", "pics", "--visualize-samples", "1"],
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "pics").iterdir()) == [
        "bear_tracks.gif",
        "bear_tracks.png",
    ]
    z = np.load(tmp_path / "p.npz")
    assert z["bear/pred_tracks"].shape[1:] == (9, 2) and z["cows/pred_tracks"].shape[1:] == (6, 2)
    # the file alone gives sen eval's AJ (same formula as tapnet's compute_tapvid_metrics)
    from sen_heads.metrics_tracking import tapvid_video_metrics

    ajs = []
    for v in ("bear", "cows"):
        q = z[f"{v}/query_points"]
        m = tapvid_video_metrics(
            q[:, [0, 2, 1]],
            z[f"{v}/target_points"],
            ~z[f"{v}/occluded"],
            z[f"{v}/pred_tracks"],
            ~z[f"{v}/pred_occluded"],
            str(z[f"{v}/query_mode"]),
        )
        ajs.append(m["AJ"])
    assert np.nanmean(ajs) == pytest.approx(metrics["tracking/AJ"], abs=1e-9)
    r = CliRunner().invoke(cli, ["predict", str(run), "--out", "missing/p.npz"])
    assert r.exit_code == 2 and "output folder not found" in r.output


class _Mkdir:
    """Unpickling this would create a folder: the restricted unpickler must refuse it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        import os

        return (os.mkdir, (self.path,))


def test_cli_refuses_a_pickle_with_a_forbidden_class(tmp_path, monkeypatch):
    import pickle

    monkeypatch.chdir(tmp_path)
    entries = davis_entries()
    entries["bear"]["video"] = _Mkdir(str(tmp_path / "pwned"))
    (tmp_path / "davis").mkdir()
    (tmp_path / "davis" / "tapvid_davis.pkl").write_bytes(pickle.dumps(entries))
    r = CliRunner().invoke(
        cli,
        ["train", "sen/tapvid-davis@1", "data.params.root=davis", *TINY_MODEL, "--run-dir", "run"],
    )
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "tapvid_davis.pkl" in lines[0] and "posix.mkdir" in lines[0], lines
    assert not (tmp_path / "pwned").exists()  # no code ran
    assert not (tmp_path / "run").exists()  # nothing written


@pytest.mark.parametrize(
    ("preset", "write", "split"),
    [
        ("sen/tapvid-rgb-stacking@1", write_rgb_stacking, "test"),
        ("sen/tapvid-kinetics@1", write_kinetics, "test"),
        ("sen/tapvid-kubric@1", None, "validation"),
    ],
)
def test_other_tapvid_presets_train_evaluate_predict(tmp_path, monkeypatch, preset, write, split):
    """Each preset with the data root overridden (tiny towers, 2 steps at batch size 2)."""
    monkeypatch.chdir(tmp_path)
    if write is None:  # Kubric: the training set, its own validation split held out
        write_kubric(tmp_path / "data", "train")
        write_kubric(tmp_path / "data", "validation", seed=1)
    else:
        write(tmp_path / "data")
    run = str(tmp_path / "run")
    over = ["data.params.root=data", *TINY_MODEL, "train.steps=2", "train.eval_every=2"]
    r = CliRunner().invoke(cli, ["train", preset, *over, "--run-dir", run, "--no-progress"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["eval", run, "--split", split, "--json"])
    assert r.exit_code == 0, r.output
    assert 0 <= json.loads(r.output)["metrics"]["tracking/AJ"] <= 1
    r = CliRunner().invoke(cli, ["predict", run, "--split", split, "--out", "p.npz"])
    assert r.exit_code == 0, r.output
    z = np.load(tmp_path / "p.npz")
    videos = sorted({k.rsplit("/", 1)[0] for k in z.files})  # Kinetics ids: "SHARD/INDEX"
    assert len(videos) == 2
    frames = sorted(z[f"{v}/pred_tracks"].shape[1] for v in videos)
    assert frames == ([6, 8] if write is None else [6, 9])  # every frame of each video
