"""QVHighlights in its official layout: reader, bad input, and the preset end to end."""

from __future__ import annotations

import json
import shutil

import pytest
from _bench_fixtures import QVH_LINES, TINY_MODEL, TINY_TEXT
from click.testing import CliRunner

from sen_core.catalogue import get_catalogue, import_ref
from sen_core.cli import cli
from sen_core.errors import InputError


def _dataset(split, **params):
    spec = get_catalogue().get("sen/qvhighlights-data@1")
    return import_ref(spec.factory)(spec, split=split, **{**spec.params, **params})


def test_reader_keeps_seconds_and_graded_saliency(qvh_root):
    ds = _dataset("val", root=str(qvh_root), frames=4, image_size=16)
    s = ds[1]
    assert s["ids"] == {"qid": 7803, "vid": "RoripwjYFp8_360.0_410.0"}
    assert s["moments_seconds"].tolist() == [[12.0, 46.0]] and float(s["duration"]) == 50.0
    assert s["saliency_clips"].shape == (25, 3)
    assert s["saliency_clips"][6].tolist() == QVH_LINES[1]["saliency_scores"][0]
    test = _dataset("test", root=str(qvh_root), frames=4, image_size=16)[0]
    assert "moments" not in test and "query" in test


def test_bad_lines_name_file_and_qid(tmp_path, qvh_root):
    tmp_path = shutil.copytree(qvh_root, tmp_path / "qvh")
    bad = dict(QVH_LINES[0], relevant_windows=[[0, 40]])
    (tmp_path / "highlight_train_release.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(InputError, match=r"jsonl:1 \(qid 8737\): window \[0.0, 40.0\] ends after"):
        _dataset("train", root=str(tmp_path))
    (tmp_path / "highlight_train_release.jsonl").write_text('{"video": "a.mp4", "label": 1}\n')
    with pytest.raises(InputError, match="wrong benchmark's file"):
        _dataset("train", root=str(tmp_path))


def test_video_shorter_than_its_duration_names_file_and_qid(tmp_path, qvh_root):
    import av
    import numpy as np

    root = shutil.copytree(qvh_root, tmp_path / "qvh")
    video = root / "videos" / f"{QVH_LINES[0]['vid']}.mp4"
    with av.open(str(video), "w") as c:  # 10 s of the annotated 30 s
        s = c.add_stream("mpeg4", rate=2)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    ds = _dataset("val", root=str(root), frames=4, image_size=16)
    with pytest.raises(InputError) as err:
        ds[0]
    msg = str(err.value)
    assert "\n" not in msg and "qid=8737" in msg and str(video) in msg
    assert "decodes to 10.00 s, shorter than its annotated duration 30 s" in msg
    assert ds[1]["ids"]["qid"] == 7803  # the other videos still read


def test_preset_trains_evaluates_predicts(tmp_path, monkeypatch, qvh_root):
    """The preset with the data root overridden (tiny towers, 4 frames, 2 steps) at batch size 2."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "qvh").symlink_to(qvh_root)
    run = tmp_path / "run"
    r = CliRunner().invoke(
        cli,
        [
            "train",
            "sen/qvhighlights@1",
            "data.params.root=qvh",
            *TINY_MODEL,
            *TINY_TEXT,
            "data.params.frames=4",
            "data.params.image_size=32",
            "train.steps=2",
            "train.eval_every=2",
            "train.checkpoint_every=2",
            "--run-dir",
            str(run),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["eval", str(run), "--split", "val", "--json", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "moments/HL-mAP" in json.loads(r.output)["metrics"]
    r = CliRunner().invoke(cli, ["predict", str(run), "--split", "test", "--out", "sub.jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in (tmp_path / "sub.jsonl").read_text().splitlines()]
    assert [x["qid"] for x in lines] == [8737, 7803, 12]
    assert [len(x["pred_saliency_scores"]) for x in lines] == [15, 25, 10]
    r = CliRunner().invoke(
        cli, ["predict", str(run), "--out", "s.jsonl", "--visualize", "no/such/pics"]
    )
    assert r.exit_code == 2 and "--visualize: parent folder not found" in r.output
    assert not (tmp_path / "s.jsonl").exists()
    r = CliRunner().invoke(cli, ["predict", str(run), "--split", "test", "--out", "sub.npz"])
    assert r.exit_code == 2 and "must end in .jsonl" in r.output
    assert not (tmp_path / "sub.npz").exists()
