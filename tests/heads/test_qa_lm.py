"""QA head on a tiny random GPT-2 with a locally built byte tokenizer (no downloads)."""

from __future__ import annotations

import pytest
import torch
from _heads_fixtures import B, build_head, make_batch, make_output

from sen_core.errors import ConfigError
from sen_heads.metrics_qa import ExactMatchMeter, exact_match, normalize_answer
from sen_heads.qa_lm import byte_tokenizer

GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 128}


def qa_head(**params):
    return build_head("sen/qa-lm@1", lm_config=GPT2, prefix_tokens=4, **params)


def test_byte_tokenizer_round_trip():
    """Any text, accents included, encodes to bytes and decodes back."""
    tok = byte_tokenizer()
    ids = tok("A red café", add_special_tokens=False).input_ids
    assert len(ids) == len("A red café".encode()) and tok.decode(ids) == "A red café"
    assert len(tok) == 260 and tok.pad_token_id == 0 and tok.eos_token_id == 2
    # the same ids in every instance (a reloaded run must read its LM's vocabulary the same way)
    text = bytes(range(256)).decode("latin-1")
    assert byte_tokenizer()(text).input_ids == byte_tokenizer()(text).input_ids


def test_loss_backward_reaches_the_state(out, batch):
    """LM cross-entropy on the answer tokens; the frozen LM gets no gradient, the soft prompt does."""
    head = qa_head()
    preds = head(out, batch)
    loss = head.loss(preds, batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert out.state.grad.abs().sum() > 0 and head.to_lm[1].weight.grad is not None
    assert all(p.grad is None for p in head.lm.parameters())
    assert "answer_ids" not in preds  # generation happens in eval mode only


def test_generate_strings_and_padding(out):
    """Batched generation with questions of different lengths equals one-by-one generation."""
    head = qa_head().eval()
    batch = {"question": ["what?", "which shape moves to the left?"]}
    both = head.generate(out, batch, max_new_tokens=5)
    assert len(both) == B and all(isinstance(s, str) for s in both)
    for i in range(B):
        one = make_output()
        one.state, one.pooled = out.state[i : i + 1], out.pooled[i : i + 1]
        assert head.generate(one, {"question": batch["question"][i : i + 1]}, max_new_tokens=5) == [
            both[i]
        ]


def test_learns_an_answer_and_meter_counts_it():
    """Trained a few steps on one clip, greedy decoding gives the answer; exact match reaches 1."""
    torch.manual_seed(0)
    head = qa_head(freeze_lm=False, max_new_tokens=8)
    out, batch = make_output(b=1), make_batch(b=1)
    batch["answer"] = ["square"]
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    for _ in range(60):
        opt.zero_grad()
        head.loss(head(out, batch), batch).backward()
        opt.step()
    head.eval()
    m = head.meter()
    with torch.no_grad():
        m.update(head(out, batch), batch)
    assert head.generate(out, batch) == ["square"]
    assert m.compute() == {"exact_match": 1.0}
    pieces: list[str] = []
    assert head.generate(out, batch, on_text=pieces.append) == ["square"]
    assert "".join(pieces).strip() == "square"


def test_exact_match_normalisation():
    """SQuAD v1.1: case, punctuation, articles and runs of spaces do not matter."""
    assert normalize_answer("  The Red   Square. ") == "red square"
    assert exact_match(["Square.", "circle", "red"], ["square", "a circle", "a blue"]) == 2 / 3
    m = ExactMatchMeter(lambda ids: ["Yes", "no"])
    m.update({"answer_ids": torch.zeros(2, 1)}, {"answer": ["yes", "yes"]})
    m.update({"answer_ids": torch.zeros(2, 1)}, {"answer": ["yes", "no"]})
    assert m.compute() == {"exact_match": 0.75}


def test_lm_from_a_local_directory(tmp_path, out, batch):
    """A saved LM and tokenizer load from lm_path (local files only)."""
    ref = qa_head()
    ref.lm.save_pretrained(tmp_path)
    ref.tokenizer.save_pretrained(tmp_path)
    head = build_head("sen/qa-lm@1", lm_path=str(tmp_path), prefix_tokens=4)
    assert torch.equal(head.lm.get_input_embeddings().weight, ref.lm.get_input_embeddings().weight)
    assert torch.isfinite(head.loss(head(out, batch), batch))


def test_lm_source_errors(tmp_path):
    """Exactly one LM source, and it must exist."""
    with pytest.raises(ConfigError, match=r"needs exactly one of params.lm \(a named LM"):
        build_head("sen/qa-lm@1")
    with pytest.raises(ConfigError, match="does not exist"):
        build_head("sen/qa-lm@1", lm_path=str(tmp_path / "missing"))


LLAMA = {
    "model_type": "llama",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 128,
}


def test_video_placement_on_a_tiny_llama(out, batch):
    """The soft prompt sits where {video} is, with the question filled in on either side of it;
    a long question is cut to max_prompt_tokens."""
    for template in ("Q: {question}{video} A:", "{video}Q: {question} A:"):
        head = build_head("sen/qa-lm@1", lm_config=LLAMA, prefix_tokens=3, prompt_template=template)
        prefix = head.soft_prompt(out)
        batch = {"question": ["left?", "which shape?"]}
        prompts = head._prompts(batch, B)
        embeds, mask, _ = head._sequences(prefix, prompts, None, left_pad=False)
        for i, (before, after) in enumerate(prompts):
            text = head.tokenizer.decode(before) + "<V>" + head.tokenizer.decode(after)
            assert text == template.replace("{video}", "<V>").replace(
                "{question}", batch["question"][i]
            )
            k = len(before)
            assert torch.equal(embeds[i, k : k + 3], prefix[i])
            assert int(mask[i].sum()) == k + 3 + len(after)
    head = build_head("sen/qa-lm@1", lm_config=LLAMA, max_prompt_tokens=4)
    ((_, after),) = head._prompts({"question": ["abcdefgh"]}, 1)
    assert head.tokenizer.decode(after) == "question: abcd answer:"


def test_answer_loss_equals_the_lm_loss(out, batch):
    """The head's loss (vocabulary projection on the answer positions only) is the LM's own."""
    head = build_head("sen/qa-lm@1", lm_config=LLAMA, prefix_tokens=3)
    prefix = head.soft_prompt(out)
    answers = [[5, 6, 2], [7, 2]]
    embeds, mask, labels = head._sequences(prefix, head._prompts(batch, B), answers, left_pad=False)
    assert int((labels != -100).sum()) == 5
    ref = head.lm(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss
    assert torch.allclose(head._answer_loss(embeds, mask, labels), ref, atol=1e-6)


def test_prompt_template_errors():
    """{question} once, {video} at most once; 'chat' needs a tokenizer with a chat template."""
    for bad in ("no question", "{question}{question}", "{video}{question}{video}"):
        with pytest.raises(ConfigError, match="must contain"):
            build_head("sen/qa-lm@1", lm_config=LLAMA, prompt_template=bad)
    with pytest.raises(ConfigError, match="chat template"):
        build_head("sen/qa-lm@1", lm_config=LLAMA, prompt_template="chat")
