"""Recognition and retrieval heads: forward shapes, loss, backward into the state, meters."""

from __future__ import annotations

import math

import pytest
import torch
from _heads_fixtures import B, C, build_head, make_batch, make_output

from sen_core.errors import InputError


def test_linear_forward_loss_backward(out, batch):
    """(B, C) logits; the loss is the cross-entropy and reaches the state."""
    head = build_head("sen/classify-linear@1", num_classes=C)
    preds = head(out, batch)
    assert preds["logits"].shape == (B, C)
    loss = head.loss(preds, batch)
    assert loss.ndim == 0
    loss.backward()
    assert out.state.grad is not None and out.state.grad.abs().sum() > 0


def test_zeroshot_scores_class_names(out, batch):
    """Logits are temperature-scaled cosines against the C class-name features."""
    head = build_head("sen/classify-zeroshot@1")
    preds = head(out, batch)
    assert preds["logits"].shape == (B, C)
    assert preds["logits"].abs().max() <= 1 / 0.07 + 1e-4
    head.loss(preds, batch).backward()
    assert head.logit_scale.grad is not None and out.state.grad is not None


def test_zeroshot_without_class_names_says_what_is_missing(batch):
    """A network without a class-name text neuron cannot feed the zero-shot head."""
    head = build_head("sen/classify-zeroshot@1")
    with pytest.raises(InputError, match=r"needs text features out.text\['class_names'\]"):
        head(make_output(text=False), batch)


def test_label_out_of_range(out, batch):
    """Labels beyond the class count are refused with the range."""
    head = build_head("sen/classify-linear@1", num_classes=C)
    bad = {**batch, "label": torch.tensor([0, C])}
    with pytest.raises(InputError, match=r"labels must lie in \[0, 5\)"):
        head.loss(head(out, bad), bad)


def test_retrieval_forward_loss_backward(out, batch):
    """Unit embeddings; at initialisation InfoNCE is near log(B); gradients reach both sides."""
    head = build_head("sen/retrieval@1")
    preds = head(out, batch)
    assert preds["video_emb"].shape == preds["text_emb"].shape == (B, 32)
    assert torch.allclose(preds["video_emb"].norm(dim=-1), torch.ones(B))
    loss = head.loss(preds, batch)
    assert loss.ndim == 0 and math.isfinite(loss.item())
    loss.backward()
    assert out.state.grad is not None and head.text_proj[1].weight.grad is not None


def test_retrieval_duplicate_captions_share_the_target():
    """With two identical captions, swapping their embeddings leaves the loss unchanged."""
    head = build_head("sen/retrieval@1")
    out, batch = make_output(b=3), make_batch(b=3)
    batch["caption"] = ["a", "a", "b"]
    preds = head(out, batch)
    swapped = {**preds, "text_emb": preds["text_emb"][[1, 0, 2]]}
    assert torch.allclose(head.loss(preds, batch), head.loss(swapped, batch))


def test_retrieval_meter_runs_on_head_output(out, batch):
    """The meter reads the head's predictions."""
    head = build_head("sen/retrieval@1").eval()
    m = head.meter()
    with torch.no_grad():
        m.update(head(out, batch), batch)
    assert set(m.compute()) >= {"R@1", "R@5", "R@10", "MdR", "t2v_R@1", "v2t_MdR"}


def test_retrieval_text_input_picks_another_source(out, batch):
    """text_input='question' contrasts the video with the question features instead."""
    head = build_head("sen/retrieval@1", text_input="question")
    ref = build_head("sen/retrieval@1")
    got = head(out, batch)["text_emb"]
    want = torch.nn.functional.normalize(ref.text_proj(out.text["question"]), dim=-1)
    assert torch.allclose(got, want)
