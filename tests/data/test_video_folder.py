"""sen/video-folder@1 on real clips: JSONL annotations -> schema samples, and errors naming file:line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sen_core.errors import ConfigError, InputError

NAME = "sen/video-folder@1"


def _records():
    bikes_track = [[320.0 + i, 136.0] for i in range(250)]  # drifts right by 1 source px per frame
    hidden_then_seen = [None] * 125 + [[10.0, 10.0]] * 125
    return [
        {
            "video": "clips/bikes.mp4",
            "label": "cycling",
            "caption": "people ride bikes",
            "question": "what moves?",
            "answer": "bikes",
            "query": "a cyclist passes",
            "moments": [[2.0, 4.0]],
            "tracks": [bikes_track, hidden_then_seen],
        },
        {
            "video": "clips/carphone.mp4",
            "label": "phoning",
            "caption": "a man talks on the phone",
            "question": "who talks?",
            "answer": "a man",
            "query": "the man speaks",
            "moments": [[0.5, 1.0], [3.0, 3.5]],
            "tracks": [[[88.0, 72.0]] * 120, [[0.0, 0.0]] * 120],
        },
    ]


def test_happy_path_uniform_frames(make_dataset, video_root, jsonl):
    """4 frames per clip at 32 px; labels from sorted names; moments as fractions; tracks mapped to output px."""
    jsonl(video_root / "train.jsonl", _records())
    ds = make_dataset(NAME, root=str(video_root), frames=4, image_size=32)
    assert len(ds) == 2 and ds.class_names == ["cycling", "phoning"]
    b = ds.collate([ds[0], ds[1]])
    assert b["video"].shape == (2, 4, 32, 32, 3) and b["video"].dtype == torch.uint8
    assert b["label"].tolist() == [0, 1] and b["class_names"] == ["cycling", "phoning"]
    assert b["caption"] == ["people ride bikes", "a man talks on the phone"] and b["answer"] == [
        "bikes",
        "a man",
    ]
    torch.testing.assert_close(b["moments"][0], torch.tensor([[0.2, 0.4]]))  # 2-4 s of a 10 s clip
    torch.testing.assert_close(
        b["moments"][1], torch.tensor([[0.5, 1.0], [3.0, 3.5]]) / (120 / (30000 / 1001))
    )
    assert b["saliency"].tolist() == [
        [0, 1, 0, 0],
        [1, 0, 0, 0],
    ]  # 3.0-3.5 s misses the 4th frame (3.50 s)
    assert torch.equal(
        b["fps"], torch.tensor([0.4, 4 / (120 / (30000 / 1001))], dtype=torch.float64)
    )
    # bikes 640x272 -> 75x32 -> crop offset 21: x' = x * 75/640 - 21, y' = y * 32/272
    idx = [31, 93, 156, 218]
    want_x = [(320 + i) * 75 / 640 - 21 for i in idx]
    np.testing.assert_allclose(b["tracks"][0, 0, :, 0], want_x, rtol=1e-5)
    np.testing.assert_allclose(b["tracks"][0, 0, :, 1], [136 * 32 / 272] * 4, rtol=1e-5)
    assert b["visible"][0, 0].tolist() == [True, True, False, False]  # drifts out of the crop
    assert b["visible"][0, 1].tolist() == [
        False,
        False,
        False,
        False,
    ]  # (10, 10) lies left of the crop
    assert b["visible"][1, 0].all() and not b["visible"][1, 1].any()
    assert b["query_points"][0, 0].tolist() == [0.0, *b["tracks"][0, 0, 0].tolist()]


def test_fps_mode_and_split_files(make_dataset, video_root, jsonl):
    """fps=2 reads frames/fps seconds from the start; the split picks {split}.jsonl; moments outside drop."""
    jsonl(video_root / "train.jsonl", _records())
    jsonl(video_root / "val.jsonl", _records()[1:])
    ds = make_dataset(NAME, split="val", root=str(video_root), frames=4, image_size=32, fps=2.0)
    s = ds[0]
    assert ds.class_names == ["cycling", "phoning"] and s["label"].item() == 1  # train's ids
    assert ds.fps == 2.0 and s["fps"] == 2.0 and s["video"].shape == (4, 32, 32, 3)
    torch.testing.assert_close(
        s["moments"], torch.tensor([[0.25, 0.5]])
    )  # 0.5-1.0 s of a 2 s window
    assert s["saliency"].tolist() == [0, 1, 0, 0]


def test_short_clip_is_padded_with_its_last_frame(make_dataset, video_root, jsonl):
    """At fps=1, 8 frames need 8 s: carphone (4 s) holds its last frame for the rest."""
    jsonl(video_root / "train.jsonl", [{"video": "clips/carphone.mp4"}])
    s = make_dataset(NAME, root=str(video_root), frames=8, image_size=16, fps=1.0)[0]
    assert s["video"].shape == (8, 16, 16, 3)
    assert all(torch.equal(s["video"][4], s["video"][k]) for k in range(5, 8))
    assert set(s) == {"video", "fps", "duration"} and s["duration"].item() == 8.0  # nominal window


def test_integer_labels_and_given_class_names(make_dataset, video_root, jsonl):
    """Integer labels index params.class_names; without names they become '0'..'max'."""
    jsonl(
        video_root / "train.jsonl",
        [{"video": "clips/bikes.mp4", "label": 1}, {"video": "clips/carphone.mp4", "label": 0}],
    )
    ds = make_dataset(
        NAME, root=str(video_root), frames=2, image_size=16, class_names=["phoning", "cycling"]
    )
    assert ds.class_names == ["phoning", "cycling"] and ds[0]["label"].item() == 1
    assert make_dataset(NAME, root=str(video_root), frames=2, image_size=16).class_names == [
        "0",
        "1",
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ['{"video": "clips/bikes.mp4"}', '{"video": clips/carphone.mp4}'],
            "{ann}:2: not valid JSON (Expecting value at column 11)",
        ),
        (
            ['{"video": "clips/bikes.mp4"}', "", '{"video": "clips/cats.mp4"}'],
            "{ann}:3: video 'clips/cats.mp4' not found (looked for {root}/clips/cats.mp4)",
        ),
        (
            ['{"video": "clips/bikes.mp4", "captoin": "x"}'],
            "{ann}:1: unknown key 'captoin'; did you mean 'caption'?",
        ),
        (['["clips/bikes.mp4"]'], "{ann}:1: expected a JSON object, got list"),
        (
            ['{"label": "x"}'],
            "{ann}:1: 'video' must be the path of the clip relative to the root folder",
        ),
        (
            ['{"video": "clips/bikes.mp4", "moments": [[3, 2]]}'],
            "{ann}:1: 'moments' must be a list of [start, end] seconds with 0 <= start < end, got [[3, 2]]",
        ),
        (
            ['{"video": "clips/bikes.mp4", "caption": 3}'],
            "{ann}:1: 'caption' must be a string, got int",
        ),
        (
            ['{"video": "clips/bikes.mp4", "label": true}'],
            "{ann}:1: 'label' must be a class name or an integer, got True",
        ),
        (
            ['{"video": "clips/bikes.mp4", "caption": "a"}', '{"video": "clips/carphone.mp4"}'],
            "{ann}: key 'caption' is on some lines but missing on line(s) 2; every clip of a dataset must carry the same keys",
        ),
        ([""], "{ann}: no clips (the file has no annotation lines)"),
    ],
)
def test_annotation_errors_name_file_and_line(make_dataset, video_root, jsonl, lines, message):
    """Malformed lines, missing videos, unknown keys and inconsistent keys raise InputError with file:line."""
    ann = jsonl(video_root / "train.jsonl", lines)
    with pytest.raises(InputError) as err:
        make_dataset(NAME, root=str(video_root))
    assert str(err.value) == message.format(ann=ann, root=video_root)


def test_label_not_in_class_names(make_dataset, video_root, jsonl):
    """A string label outside params.class_names is reported with its line and a suggestion."""
    ann = jsonl(video_root / "train.jsonl", [{"video": "clips/bikes.mp4", "label": "cyclng"}])
    with pytest.raises(InputError) as err:
        make_dataset(NAME, root=str(video_root), class_names=["cycling", "phoning"])
    assert (
        str(err.value) == f"{ann}:1: label 'cyclng' is not in class_names; did you mean 'cycling'?"
    )


def test_track_length_must_match_the_video(make_dataset, video_root, jsonl):
    """Tracks need one entry per source frame; the error (raised on reading) names file and line."""
    ann = jsonl(
        video_root / "train.jsonl", [{"video": "clips/carphone.mp4", "tracks": [[[1, 2]] * 10]}]
    )
    ds = make_dataset(NAME, root=str(video_root), frames=2, image_size=16)
    with pytest.raises(InputError) as err:
        ds[0]
    assert str(err.value) == (
        f"{ann}:1: track 0 has 10 points but the video has 120 frames "
        "(one per frame, null when hidden)"
    )


def test_unreadable_video_is_reported_with_its_line(make_dataset, video_root, jsonl):
    """A file that exists but is not a video fails on reading, naming the annotation line and the file."""
    (video_root / "clips" / "bad.mp4").write_text("not a video")
    ann = jsonl(
        video_root / "train.jsonl", [{"video": "clips/bikes.mp4"}, {"video": "clips/bad.mp4"}]
    )
    ds = make_dataset(NAME, root=str(video_root), frames=2, image_size=16)
    with pytest.raises(InputError) as err:
        ds[1]
    assert str(err.value).startswith(
        f"{ann}:2: cannot read video '{video_root / 'clips' / 'bad.mp4'}': not a video file"
    )


def test_missing_root_annotations_and_bad_params(make_dataset, tmp_path, video_root):
    """A missing root or annotation file, and unknown params, are clear errors."""
    with pytest.raises(
        InputError, match=f"sen/video-folder@1: root folder not found: {tmp_path / 'none'}"
    ):
        make_dataset(NAME, root=str(tmp_path / "none"))
    with pytest.raises(
        InputError,
        match=f"sen/video-folder@1: annotation file not found: {video_root / 'test.jsonl'}",
    ):
        make_dataset(NAME, split="test", root=str(video_root))
    with pytest.raises(ConfigError) as err:
        make_dataset(NAME, root=str(video_root), frame=4)
    assert "params.frame: unknown parameter" in str(err.value)
    with pytest.raises(ConfigError, match=r"params.root: Field required"):
        make_dataset(NAME)


def test_dataset_fps_defaults_to_the_first_clip(make_dataset, video_root, jsonl):
    """Without params.fps the dataset's fps is the first clip's sampling rate."""
    jsonl(video_root / "train.jsonl", [json.dumps({"video": "clips/bikes.mp4"})])
    assert make_dataset(NAME, root=str(video_root), frames=5, image_size=16).fps == pytest.approx(
        0.5
    )


def test_every_split_uses_the_train_vocabulary(make_dataset, video_root, jsonl):
    """Issue 21.3: val lacks 'cycling', yet 'phoning' keeps train's id 1 (it was 0 in val)."""
    jsonl(video_root / "train.jsonl", _records())
    jsonl(video_root / "val.jsonl", _records()[1:])
    train = make_dataset(NAME, root=str(video_root), frames=2, image_size=16)
    val = make_dataset(NAME, split="val", root=str(video_root), frames=2, image_size=16)
    assert val.class_names == train.class_names == ["cycling", "phoning"]
    assert val._label_ids == {1: 1} and train._label_ids == {1: 0, 2: 1}


def test_label_missing_from_the_train_split_is_an_error(make_dataset, video_root, jsonl):
    """A val label the train split lacks: one error naming the labels, lines and both files."""
    jsonl(video_root / "train.jsonl", _records()[:1])
    jsonl(video_root / "val.jsonl", [*_records(), {**_records()[1], "label": "dancing"}])
    with pytest.raises(InputError) as err:
        make_dataset(NAME, split="val", root=str(video_root))
    assert str(err.value) == (
        f"{video_root / 'val.jsonl'}: label(s) 'phoning', 'dancing' (line(s) 2, 3) are not in "
        f"the train split's labels ({video_root / 'train.jsonl'}); class ids must mean the same "
        "class in every split: give params.class_names with every class"
    )


def test_labelled_split_without_train_or_class_names_is_an_error(make_dataset, video_root, jsonl):
    """No train file to fix the vocabulary and no class_names: refused, naming the fix."""
    jsonl(video_root / "test.jsonl", _records())
    with pytest.raises(InputError, match=r"test\.jsonl: split 'test' has labels, but no params"):
        make_dataset(NAME, split="test", root=str(video_root))
    ds = make_dataset(NAME, split="test", root=str(video_root), class_names=["phoning", "cycling"])
    assert ds._label_ids == {1: 1, 2: 0}
