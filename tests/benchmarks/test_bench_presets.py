"""Each benchmark fixture, in its official layout, trains and evaluates through its preset.

The presets name CLIP ViT-B/32 towers; here they are swapped for open_clip's tiny random towers
and the clips shrunk (2 frames of 32 px), so each run takes a few seconds on a CPU. Everything
else -- the dataset, its protocol, the head, eval over the whole split -- is the preset's.
"""

from __future__ import annotations

import pytest
from _bench_layouts import write_kinetics, write_msrvtt, write_msvd_qa, write_ssv2

from sen_core.config import load_run_config
from sen_core.train import evaluate, train

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


def test_kinetics_preset_averages_test_views(tmp_path, clips):
    root = write_kinetics(tmp_path / "k400", clips, per_class=2)
    _, final = _run(tmp_path, "sen/kinetics400@1", root, ["data.params.clips=2"])
    top1 = final["classify/top1"]
    assert top1 * 6 == pytest.approx(round(top1 * 6))  # 6 videos, not 6 x 2 x 3 views


def test_ssv2_preset(tmp_path, clips):
    root = write_ssv2(tmp_path / "ssv2", clips)
    _, final = _run(tmp_path, "sen/ssv2@1", root)
    assert final["classify/top1"] * 6 == pytest.approx(round(final["classify/top1"] * 6))


def test_msvd_qa_preset(tmp_path, clips):
    root = write_msvd_qa(tmp_path / "msvd", clips, videos=4)
    _, final = _run(tmp_path, "sen/msvd-qa@1", root, TEXT)
    assert final["classify/top1"] * 4 == pytest.approx(round(final["classify/top1"] * 4))
