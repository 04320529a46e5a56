"""Hypothesis: whatever a Kinetics csv or a QA json holds, the readers give records or one InputError."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sen_core.errors import InputError
from sen_data.benchmarks.kinetics import read_kinetics
from sen_data.benchmarks.videoqa import read_videoqa

_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "question", "answer", "video_id"]), c, max_size=4)
    ),
    max_leaves=8,
)


@_SETTINGS
@given(text=st.text(alphabet='ab,"\n 0.1-_', max_size=80))
def test_kinetics_csv_any_text(tmp_path, text):
    (tmp_path / "videos_train").mkdir(exist_ok=True)
    (tmp_path / "train.csv").write_text("label,youtube_id,time_start,time_end,split\n" + text)
    with pytest.raises(InputError) as exc:  # no clip exists: at best an empty split
        read_kinetics(tmp_path, "train", missing="skip")
    assert "\n" not in str(exc.value)


@_SETTINGS
@given(data=_JSON)
def test_qa_json_any_value(tmp_path, data):
    (tmp_path / "video").mkdir(exist_ok=True)
    (tmp_path / "train_qa.json").write_text(json.dumps(data))
    with pytest.raises(InputError):  # no video exists: at best a missing file
        read_videoqa(tmp_path, "train", bench="msrvtt-qa")


def test_qa_ids_must_be_numbers_or_text(tmp_path):
    (tmp_path / "video").mkdir()
    item = {"question": "q", "answer": "a", "id": [1], "video_id": 0}
    (tmp_path / "train_qa.json").write_text(json.dumps([item]))
    with pytest.raises(InputError, match=r"entry 0: id \[1\] is not a number or a string"):
        read_videoqa(tmp_path, "train", bench="msrvtt-qa")
