"""Each benchmark fixture, in its official layout, trains, evaluates and predicts through its preset.

The presets name CLIP ViT-B/32 towers; here they are swapped for open_clip's tiny random towers
and the clips shrunk (2 frames of 32 px), so each run takes a few seconds on a CPU. Everything
else -- the dataset, its protocol, the head, eval over the whole split -- is the preset's.
``sen predict`` then writes the official file, and the scorer run on that file alone (CLIP4Clip's
``compute_metrics`` arithmetic, top-1 from the class scores, exact match over the answers) gives
``sen eval``'s numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from _bench_layouts import K_LABELS, write_kinetics, write_msrvtt, write_msvd_qa, write_ssv2
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.config import load_run_config
from sen_core.errors import InputError
from sen_core.train import evaluate, train
from sen_core.train.predict import predict

TINY = [
    "model.neurons.0.name=open_clip/sen-tiny-vit/image",
    "model.neurons.0.params.tokens_per_frame=2",
    "model.width=32",
    "model.depth=1",
    "model.attn_heads=2",
    "model.token_budget=8",
    "model.prompt_tokens=2",
    "data.params.frames=2",
    "data.params.image_size=32",
    "train.steps=2",
    "train.batch_size=2",
    "train.warmup_steps=1",
    "train.log_every=1",
    "train.checkpoint_every=2",
    "train.device=cpu",
    "train.eval_every=null",
]
TEXT = ["model.neurons.1.name=open_clip/sen-tiny-vit/text"]


def _run(tmp_path, preset, root, extra=()):
    config = load_run_config(preset, [f"data.params.root={root}", *TINY, *extra])
    final = train(config, tmp_path / "run", progress=False)
    return config, final


def test_msrvtt_preset_trains_and_scores_the_full_matrix(tmp_path, clips):
    root = write_msrvtt(tmp_path / "msrvtt", clips, n_train=4, n_test=5)
    config, final = _run(tmp_path, "sen/msrvtt@1", root, TEXT)
    assert config.train.eval_batches is None and config.train.eval_split == "test"
    # 5 test videos at batch size 2: three batches, one 5 x 5 matrix -> R@K are multiples of 1/5
    r1 = final["retrieval/t2v_R@1"]
    assert r1 * 5 == pytest.approx(round(r1 * 5))
    assert final["retrieval/t2v_R@10"] == 1.0
    again = evaluate(tmp_path / "run", split="test", batch_size=3)
    assert again["retrieval/t2v_R@1"] == pytest.approx(r1)
    # sen predict: the text x video matrix with its row / column ids, scored from the file alone
    from sen_heads.metrics_retrieval import retrieval_metrics

    info = predict(tmp_path / "run", split="test", out=tmp_path / "sim.npz")
    assert info["samples"] == 5 and info["task"] == "retrieval"
    z = np.load(tmp_path / "sim.npz")
    sim = z["sim_matrix"]
    assert sim.shape == (5, 5) and sim.dtype == np.float32
    assert list(z["text_ids"]) == [f"ret{i}" for i in range(5)]
    assert list(z["video_ids"]) == [f"video{1000 + i}" for i in range(5)]
    assert z["captions"][0] == "test caption of video1000"
    evaluated = evaluate(tmp_path / "run", split="test")
    scored = retrieval_metrics(torch.from_numpy(sim).t(), ties="clip4clip")  # (video, text)
    expected = {k[len("retrieval/") :]: v for k, v in evaluated.items() if "retrieval/" in k}
    assert expected and scored == pytest.approx(expected, abs=1e-12)
    assert not list(tmp_path.glob(".*part"))


def test_kinetics_preset_averages_test_views(tmp_path, clips):
    root = write_kinetics(tmp_path / "k400", clips, per_class=2)
    _, final = _run(tmp_path, "sen/kinetics400@1", root, ["data.params.clips=2"])
    top1 = final["classify/top1"]
    assert top1 * 6 == pytest.approx(round(top1 * 6))  # 6 videos, not 6 x 2 x 3 views
    run = tmp_path / "run"
    evaluated = evaluate(run, split="val")
    # class scores: one row per video (its 2 clips x 3 crops averaged), scored from the file alone
    assert predict(run, split="val", out=tmp_path / "scores.npz", batch_size=4)["samples"] == 6
    z = np.load(tmp_path / "scores.npz")
    # the preset's head has 400 classes, the fixture 3 (their names come first, then the indices)
    assert z["scores"].shape == (6, 400) and np.allclose(z["scores"].sum(1), 1, atol=1e-5)
    names = list(z["class_names"])
    assert names[:3] == sorted(K_LABELS) and names[3:5] == ["3", "4"] and len(names) == 400
    assert z["video_ids"][0] == "va0x0_-Ab_000000_000010"
    assert _top1(z["scores"], z["labels"]) == pytest.approx(evaluated["classify/top1"], abs=1e-12)
    assert _top1(z["scores"], z["labels"], 5) == pytest.approx(
        evaluated["classify/top5"], abs=1e-12
    )
    # the same as answers, one line per video
    predict(run, split="val", out=tmp_path / "pred.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert [set(x) for x in lines[:1]] == [
        {"youtube_id", "time_start", "time_end", "label", "pred"}
    ]
    hits = [x["pred"] == x["label"] for x in lines]
    assert sum(hits) / len(hits) == pytest.approx(evaluated["classify/top1"], abs=1e-12)
    # the test csv has no labels: scores and ids only
    predict(run, split="test", out=tmp_path / "test.npz")
    t = np.load(tmp_path / "test.npz")
    assert "labels" not in t and list(t["video_ids"]) == ["te0x0_-Ab_000000_000010"]
    with pytest.raises(InputError, match=r"pred\.csv: recognition predictions .*\.npz.*\.jsonl"):
        predict(run, split="test", out=tmp_path / "pred.csv")
    r = CliRunner().invoke(cli, ["predict", str(run), "--out", str(tmp_path / "pred.csv")])
    assert r.exit_code == 2 and "recognition predictions" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if "pred" in p.name) == ["pred.jsonl"]


def _top1(scores, labels, k=1):
    """MMAction2's top_k_accuracy arithmetic (argsort of the scores, the top k)."""
    top = np.argsort(scores, axis=1)[:, -k:][:, ::-1]
    return float((top == labels[:, None]).any(1).mean())


def test_ssv2_preset(tmp_path, clips):
    root = write_ssv2(tmp_path / "ssv2", clips)
    _, final = _run(tmp_path, "sen/ssv2@1", root)
    assert final["classify/top1"] * 6 == pytest.approx(round(final["classify/top1"] * 6))
    predict(tmp_path / "run", split="val", out=tmp_path / "val.npz")
    z = np.load(tmp_path / "val.npz")
    assert _top1(z["scores"], z["labels"]) == pytest.approx(final["classify/top1"], abs=1e-12)
    # the test json holds ids only: no ground truth needed
    predict(tmp_path / "run", split="test", out=tmp_path / "test.npz")
    t = np.load(tmp_path / "test.npz")
    assert list(t["video_ids"]) == ["999"] and t["scores"].shape == (1, 174) and "labels" not in t


def test_msvd_qa_preset(tmp_path, clips):
    root = write_msvd_qa(tmp_path / "msvd", clips, videos=4)
    _, final = _run(tmp_path, "sen/msvd-qa@1", root, TEXT)
    assert final["classify/top1"] * 4 == pytest.approx(round(final["classify/top1"] * 4))
    # answers keyed by question_id: exact match over the file is sen eval's accuracy
    predict(tmp_path / "run", split="val", out=tmp_path / "answers.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [x["question_id"] for x in lines] == [4, 5, 6, 7]
    assert lines[0] == {
        "question_id": 4,
        "video_id": 1,
        "question": "what is a man doing?",
        "answer": "play",
        "pred": lines[0]["pred"],
    }
    exact = sum(x["pred"] == x["answer"] for x in lines) / len(lines)
    assert exact == pytest.approx(final["classify/top1"], abs=1e-12)
