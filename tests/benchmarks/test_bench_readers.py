"""The benchmark readers on tiny copies of the official layouts: records, ids, vocabularies, errors."""

from __future__ import annotations

import json
import shutil

import pytest
from _bench_layouts import (
    K_LABELS,
    SSV2_TEMPLATES,
    write_kinetics,
    write_msrvtt,
    write_msrvtt_qa,
    write_msvd_qa,
    write_ssv2,
)

from sen_core.errors import InputError
from sen_data.benchmarks.kinetics import clip_name, kinetics_classes, read_kinetics
from sen_data.benchmarks.msrvtt import read_msrvtt
from sen_data.benchmarks.ssv2 import read_ssv2, ssv2_classes
from sen_data.benchmarks.videoqa import qa_answers, read_videoqa

# ---------------------------------------------------------------- MSR-VTT


def test_msrvtt_test_split_is_the_1k_a_csv(tmp_path, clips):
    root = write_msrvtt(tmp_path, clips, n_train=3, n_test=4)
    recs = read_msrvtt(root, "test")
    assert [r.ids for r in recs] == [
        {"key": f"ret{i}", "vid_key": f"msr{1000 + i}", "video_id": f"video{1000 + i}"}
        for i in range(4)
    ]
    assert recs[2].caption == "test caption of video1002"
    assert recs[2].source.path == root / "MSRVTT_Videos" / "video1002.mp4"
    assert [r.ids for r in read_msrvtt(root, "val")] == [r.ids for r in recs]


def test_msrvtt_train_holds_every_caption_in_sen_id_order(tmp_path, clips):
    root = write_msrvtt(tmp_path, clips, n_train=3, n_test=2)
    recs = read_msrvtt(root, "train")
    assert [r.ids for r in recs] == [{"video_id": f"video{i}"} for i in range(3)]
    r = recs[1]
    assert len(r.captions) == 20
    assert r.captions[:2] == ("caption 0 of video1", "caption 1 of video1")
    assert r.extra["sen_ids"][:3] == (1, 6, 11)  # 5 videos: sen_id = c * 5 + n
    assert len(read_msrvtt(root, "train", train_size="7k")) == 1
    expanded = read_msrvtt(root, "train", expand=True)
    assert len(expanded) == 60
    assert expanded[21].ids == {"video_id": "video1", "sen_id": 6}
    assert expanded[21].caption == "caption 1 of video1"


def test_msrvtt_videos_of_the_frozen_in_time_zip(tmp_path, clips):
    root = write_msrvtt(tmp_path, clips, n_train=2, n_test=2)
    (root / "videos").mkdir()
    (root / "MSRVTT_Videos").rename(root / "videos" / "all")
    assert read_msrvtt(root, "test")[0].source.path == root / "videos/all/video1000.mp4"


def test_msrvtt_errors_name_file_and_entry(tmp_path, clips):
    root = write_msrvtt(tmp_path, clips, n_train=2, n_test=2)
    (root / "MSRVTT_Videos" / "video1001.mp4").unlink()
    with pytest.raises(
        InputError, match=r"MSRVTT_JSFUSION_test.csv: line 3 \(video_id 'video1001'\).*not found"
    ):
        read_msrvtt(root, "test")
    data = json.loads((root / "MSRVTT_data.json").read_text())
    data["sentences"] = [s for s in data["sentences"] if s["video_id"] != "video1"]
    (root / "MSRVTT_data.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"train.9k.csv: line 3 \(video_id 'video1'\): no caption"):
        read_msrvtt(root, "train")
    (root / "MSRVTT_data.json").write_text(json.dumps([{"caption": "x"}]))
    with pytest.raises(InputError, match=r"MSRVTT_data.json: expected an object with sentences"):
        read_msrvtt(root, "train")
    (root / "MSRVTT_JSFUSION_test.csv").write_text("video_id\nvideo1000\n")
    with pytest.raises(InputError, match=r"lacks column\(s\) key, vid_key, sentence"):
        read_msrvtt(root, "test")
    with pytest.raises(InputError, match="unknown split 'dev'"):
        read_msrvtt(root, "dev")
    shutil.rmtree(root / "MSRVTT_Videos")
    with pytest.raises(InputError, match="no MSR-VTT video folder"):
        read_msrvtt(root, "test")


# ---------------------------------------------------------------- Kinetics


def test_kinetics_classes_are_mmaction2s_sorted_formal_labels(tmp_path, clips):
    # 'passing_American...' < 'abseiling'? no: sorted by the underscored key, capitals first
    labels = ("air drumming", "air_Zdrumming", "abseiling")
    root = write_kinetics(tmp_path, clips, per_class=1, labels=labels)
    # keys: air_drumming, air_Zdrumming, abseiling -> sorted: abseiling, air_Zdrumming, air_drumming
    # (with the spaces kept the order would put 'air drumming' first)
    assert kinetics_classes(root) == ["abseiling", "air_Zdrumming", "air drumming"]


def test_kinetics_records(tmp_path, clips):
    root = write_kinetics(tmp_path, clips, per_class=2)
    assert kinetics_classes(root) == sorted(K_LABELS, key=lambda s: s.replace(" ", "_"))
    train = read_kinetics(root, "train")
    assert len(train) == 6
    r = train[2]  # 'air drumming', second clip
    assert r.ids == {"youtube_id": "tr1x0_-Ab", "time_start": 1, "time_end": 11}
    assert r.label == 1
    assert r.source.path == root / "videos_train/air_drumming/tr1x0_-Ab_000001_000011.mp4"
    val = read_kinetics(root, "val")
    assert [v.label for v in val] == [0, 0, 1, 1, 2, 2]
    test = read_kinetics(root, "test")
    assert test[0].label is None and test[0].ids["youtube_id"] == "te0x0_-Ab"


def test_kinetics_flat_folders_and_label_dirs_with_spaces(tmp_path, clips):
    root = write_kinetics(tmp_path / "flat", clips, per_class=1, label_dirs=False)
    assert read_kinetics(root, "val")[1].source.path == root / "videos_val" / clip_name(
        "va1x0_-Ab", 1, 11
    )
    root = write_kinetics(tmp_path / "spaces", clips, per_class=1)
    (root / "videos_val/air_drumming").rename(root / "videos_val/air drumming")
    assert read_kinetics(root, "val")[1].source.path.parent.name == "air drumming"


def test_kinetics_missing_clips_and_bad_rows(tmp_path, clips):
    root = write_kinetics(tmp_path, clips, per_class=2)
    (root / "videos_val/abseiling" / clip_name("va0x1_-Ab", 10, 20)).unlink()
    with pytest.raises(
        InputError, match=r"validate.csv: line 3 \(youtube_id 'va0x1_-Ab'\): clip not found"
    ):
        read_kinetics(root, "val")
    assert len(read_kinetics(root, "val", missing="skip")) == 5
    text = (root / "validate.csv").read_text().replace("abseiling", "base jumping", 1)
    (root / "validate.csv").write_text(text)
    with pytest.raises(
        InputError,
        match=r"line 2 .*label 'base jumping' is not a class of the train csv \(3 classes\)",
    ):
        read_kinetics(root, "val", missing="skip")
    (root / "validate.csv").write_text(
        "label,youtube_id,time_start,time_end,split\nabseiling,x,ten,20,val\n"
    )
    with pytest.raises(InputError, match=r"line 2 .*time_start 'ten' is not a number"):
        read_kinetics(root, "val")
    (root / "train.csv").write_text('{"not": "a csv"}\n')
    with pytest.raises(
        InputError, match=r"train.csv: header .* lacks column\(s\) label, youtube_id"
    ):
        read_kinetics(root, "val")


# ---------------------------------------------------------------- SSv2


def test_ssv2_class_index_from_the_labels_json(tmp_path, clips):
    root = write_ssv2(tmp_path, clips)
    assert ssv2_classes(root) == [t.replace("[", "").replace("]", "") for t in SSV2_TEMPLATES]
    train = read_ssv2(root, "train")
    assert [r.label for r in train] == [0, 0, 1, 1, 2, 2]
    assert train[3].ids == {"id": "4"}
    assert train[3].source.path == root / "20bn-something-something-v2" / "4.webm"
    assert [r.label for r in read_ssv2(root, "val")] == [0, 0, 1, 1, 2, 2]
    test = read_ssv2(root, "test")
    assert test[0].ids == {"id": "999"} and test[0].label is None


def test_ssv2_errors(tmp_path, clips):
    root = write_ssv2(tmp_path, clips)
    path = root / "labels" / "something-something-v2-validation.json"
    items = json.loads(path.read_text())
    items[1]["template"] = "Juggling [something]"
    path.write_text(json.dumps(items))
    with pytest.raises(
        InputError,
        match=r"validation.json: entry 1 \(id '8'\): template 'Juggling something' is not in the labels json",
    ):
        read_ssv2(root, "val")
    (root / "20bn-something-something-v2" / "2.webm").unlink()
    with pytest.raises(
        InputError, match=r"train.json: entry 1 \(id '2'\): video file .*2.webm not found"
    ):
        read_ssv2(root, "train")
    (root / "labels" / "something-something-v2-labels.json").write_text('{"a": "0", "b": "2"}')
    with pytest.raises(InputError, match=r"labels.json: indices must be 0..1"):
        read_ssv2(root, "train")
    write_ssv2(root, clips)
    path.write_text("[{")
    with pytest.raises(InputError, match=r"validation.json: not valid JSON"):
        read_ssv2(root, "val")


# ---------------------------------------------------------------- video QA


def test_msvd_qa_maps_vids_to_youtube_clips(tmp_path, clips):
    root = write_msvd_qa(tmp_path, clips, videos=4)
    test = read_videoqa(root, "test", bench="msvd-qa")
    assert [r.ids for r in test] == [{"question_id": 8 + i, "video_id": i + 1} for i in range(4)]
    assert test[0].source.path == root / "YouTubeClips" / "-yt1Ab_1_6.avi"
    assert (test[1].question, test[1].answer) == ("who is singing?", "woman")
    vocab = qa_answers(root)
    assert vocab == sorted(vocab)  # every answer once: ties broken alphabetically
    assert [r.label for r in test] == [vocab.index(str(r.answer)) for r in test]


def test_msrvtt_qa_videos_and_answer_vocabulary(tmp_path, clips):
    root = write_msrvtt_qa(tmp_path, clips, videos=3)
    val = read_videoqa(root, "val", bench="msrvtt-qa", top_k=2)
    assert [r.source.path.name for r in val] == ["video3.mp4", "video4.mp4", "video5.mp4"]
    assert qa_answers(root, 2) == ["horse", "play"]
    assert [r.label for r in val] == [1, None, 0]  # 'woman' is outside the top 2


def test_video_qa_errors(tmp_path, clips):
    root = write_msvd_qa(tmp_path, clips, videos=3)
    (root / "youtube_mapping.txt").write_text("-yt1Ab_1_6 vid1\n-yt2Ab_2_7 vid2\n")
    with pytest.raises(
        InputError,
        match=r"test_qa.json: entry 2 \(id 8, video_id 3\): vid3 is not in youtube_mapping.txt",
    ):
        read_videoqa(root, "test", bench="msvd-qa")
    (root / "youtube_mapping.txt").write_text("-yt1Ab_1_6\n")
    with pytest.raises(
        InputError, match=r"youtube_mapping.txt: line 1: expected '<clip name> vid<N>'"
    ):
        read_videoqa(root, "test", bench="msvd-qa")
    (root / "val_qa.json").write_text(
        json.dumps([{"question": "q", "answer": "a", "id": 0, "video_id": "vid1"}])
    )
    with pytest.raises(
        InputError, match=r"val_qa.json: entry 0: video_id 'vid1' is not an integer"
    ):
        read_videoqa(root, "val", bench="msvd-qa")
    (root / "val_qa.json").write_text(json.dumps({"qid": 1}))
    with pytest.raises(InputError, match=r"val_qa.json: expected a JSON list"):
        read_videoqa(root, "val", bench="msvd-qa")
    (root / "train_qa.json").unlink()
    with pytest.raises(InputError, match=r"no train_qa.json"):
        read_videoqa(root, "test", bench="msrvtt-qa")
