"""The retrieval and recognition prediction writers, fed batches directly (no model, no video).

Each writer's file, scored alone, must give the meter's numbers on the same predictions: the
retrieval matrix the ``RetrievalMeter`` ranks (1k x 1k, as on MSR-VTT 1k-A), the class scores
``TopKMeter`` averages over test views split across batches.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.errors import InputError
from sen_core.train.writers_scores import WRITERS, RecognitionWriter, final_suffix, video_key
from sen_heads.metrics_classify import TopKMeter, average_views
from sen_heads.metrics_retrieval import RetrievalMeter, retrieval_metrics


def _emb(g, n, e=16):
    return F.normalize(torch.randn(n, e, generator=g), dim=-1)


def test_retrieval_writer_writes_the_meters_1k_matrix(tmp_path):
    g = torch.Generator().manual_seed(0)
    v, t = _emb(g, 1000), _emb(g, 1000)
    t[7] = t[3]  # a tie: the conventions differ only there
    w = WRITERS["retrieval"](tmp_path / "sim.npz")
    meter = RetrievalMeter(ties="clip4clip")
    for s in range(0, 1000, 96):  # batches of 96, the last one short
        ids = [
            {"key": f"ret{i}", "vid_key": f"msr{i}", "video_id": f"video{i}"}
            for i in range(s, min(s + 96, 1000))
        ]
        preds = {"video_emb": v[s : s + 96], "text_emb": t[s : s + 96]}
        batch = {"ids": ids, "caption": [f"caption {i}" for i in range(s, s + len(ids))]}
        w.write(preds, batch)
        meter.update(preds, batch)
    w.close()
    w.close()  # idempotent (predict closes again on failure)
    z = np.load(tmp_path / "sim.npz")
    sim = z["sim_matrix"]
    assert sim.shape == (1000, 1000) and sim.dtype == np.float32
    assert np.array_equal(sim, (v @ t.t()).numpy().T)  # text rows, video columns, bit for bit
    assert z["text_ids"][999] == "ret999" and z["video_ids"][5] == "video5"
    assert z["captions"][42] == "caption 42"
    assert retrieval_metrics(torch.from_numpy(sim).t(), ties="clip4clip") == meter.compute()
    assert not [p for p in tmp_path.iterdir() if p.name != "sim.npz"]  # the spool files are gone


def _views_batches(n_videos=4, views=3, classes=5, batch=5, labelled=True):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(n_videos * views, classes, generator=g) * 3
    ids = [{"id": str(100 + r // views)} for r in range(n_videos * views)]
    labels = torch.tensor([r // views % classes for r in range(n_videos * views)])
    out = []
    for s in range(0, len(ids), batch):  # a video's views straddle batch boundaries
        b = {
            "ids": ids[s : s + batch],
            "view": torch.tensor([r % views for r in range(s, min(s + batch, len(ids)))]),
            "class_names": [f"class {c}" for c in range(classes)],
        }
        if labelled:
            b["label"] = labels[s : s + batch]
        out.append(({"logits": logits[s : s + batch]}, b))
    return logits, ids, labels, out


def test_class_scores_average_the_views_as_the_meter_does(tmp_path):
    logits, ids, _, batches = _views_batches()
    w = WRITERS["recognition"](tmp_path / "s.npz")
    meter = TopKMeter(ks=(1, 2))
    for preds, batch in batches:
        w.write(preds, batch)
        meter.update(preds, batch)
    w.close()
    z = np.load(tmp_path / "s.npz")
    _, probs = average_views([tuple(sorted(i.items())) for i in ids], logits)
    assert np.array_equal(z["scores"], probs.numpy())  # the meter's arithmetic, bit for bit
    assert list(z["video_ids"]) == ["100", "101", "102", "103"] and w.count == 4
    assert list(z["labels"]) == [0, 1, 2, 3] and z["class_names"][4] == "class 4"
    top1 = float((z["scores"].argmax(1) == z["labels"]).mean())
    assert top1 == pytest.approx(meter.compute()["top1"], abs=1e-12)


def test_answers_lines_per_video_and_unlabelled_split(tmp_path):
    _, _, _, batches = _views_batches(labelled=False)
    w = RecognitionWriter(tmp_path / ".p.jsonl.part")  # the name predict writes under
    for preds, batch in batches:
        w.write(preds, batch)
    w.close()
    lines = [json.loads(x) for x in (tmp_path / ".p.jsonl.part").read_text().splitlines()]
    assert [x["id"] for x in lines] == ["100", "101", "102", "103"]
    assert set(lines[0]) == {"id", "pred"} and lines[0]["pred"].startswith("class ")


def test_qa_answers_keyed_by_question_id(tmp_path):
    w = WRITERS["recognition"](tmp_path / "a.jsonl")
    logits = torch.tensor([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0]])
    w.write(
        {"logits": logits},
        {
            "ids": [{"question_id": 7, "video_id": 1}, {"question_id": "q8", "video_id": 2}],
            "question": ["who sings?", "what is cut?"],
            "answer": ["woman", "tomato"],
            "label": torch.tensor([1, 2]),
            "class_names": ["man", "woman", "<other>"],
        },
    )
    w.close()
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert lines == [
        {
            "question_id": 7,
            "video_id": 1,
            "question": "who sings?",
            "answer": "woman",
            "pred": "woman",
        },
        {
            "question_id": "q8",
            "video_id": 2,
            "question": "what is cut?",
            "answer": "tomato",
            "pred": "man",
        },
    ]


def test_views_that_are_not_consecutive_are_refused(tmp_path):
    w = WRITERS["recognition"](tmp_path / "s.npz")
    batch = {"ids": [{"id": "a"}, {"id": "b"}, {"id": "a"}], "view": torch.tensor([0, 0, 1])}
    with pytest.raises(InputError, match="views of video a are not consecutive"):
        w.write({"logits": torch.zeros(3, 2)}, batch)
    w.close()


def test_generated_answers_give_the_meters_exact_match(tmp_path):
    from sen_heads.metrics_qa import ExactMatchMeter, normalize_answer

    class Head:  # the qa-lm head's decode: token ids -> text (here: one word per id)
        words = ("The Dog.", "cat", "a horse")

        def decode(self, ids):
            return [self.words[int(i[0])] for i in ids]

    head, meter = Head(), ExactMatchMeter(Head().decode)
    w = WRITERS["qa"](tmp_path / "a.jsonl", head)
    for s, answers in ((0, ["dog", "cat"]), (2, ["pony"])):
        ids = [{"question_id": s + i, "video_id": 9} for i in range(len(answers))]
        preds = {"answer_ids": torch.tensor([[s + i] for i in range(len(answers))]) % 3}
        batch = {"ids": ids, "question": ["what?"] * len(ids), "answer": answers}
        w.write(preds, batch)
        meter.update(preds, batch)
    w.close()
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert lines[0] == {
        "question_id": 0,
        "video_id": 9,
        "question": "what?",
        "answer": "dog",
        "pred": "The Dog.",
    }
    exact = sum(normalize_answer(x["pred"]) == normalize_answer(x["answer"]) for x in lines) / 3
    assert exact == meter.compute()["exact_match"] == pytest.approx(2 / 3)
    w2 = WRITERS["qa"](tmp_path / "b.jsonl", head)
    with pytest.raises(InputError, match="generate_in_eval"):
        w2.write({}, {"ids": [{"question_id": 1}]})
    w2.close()


@pytest.mark.parametrize("name", ["p.csv", ".p.part", "p"])
def test_recognition_refuses_other_suffixes(tmp_path, name):
    with pytest.raises(
        InputError, match=r"recognition predictions are written as \.npz .* or \.jsonl"
    ):
        WRITERS["recognition"](tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_ids_and_suffixes():
    assert final_suffix(__import__("pathlib").Path("/x/.scores.npz.part")) == ".npz"
    assert (
        video_key({"youtube_id": "-a_b", "time_start": 3, "time_end": torch.tensor(13)})
        == "-a_b_000003_000013"
    )
    assert video_key({"question_id": 4, "video_id": 9}) == "9"
    assert video_key({"id": "999"}) == "999"


def test_predict_help_documents_every_format():
    r = CliRunner().invoke(cli, ["predict", "--help"])
    assert r.exit_code == 0
    for word in (
        "sim_matrix",
        "compute_metrics",
        "scores",
        "top_k_accuracy",
        "question_id",
        "pred_tracks",
        "pred_relevant_windows",
    ):
        assert word in r.output, word
