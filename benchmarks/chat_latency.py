"""Answer latency of the real SmolLM2-135M-Instruct: with the video soft prompt against the LM alone.

The network of ``sen/chat-shapes@1`` (EfficientNet-Lite0 on 4 frames of 64 px, one RA step, the
``sen/qa-lm@1`` head) encodes one shapes clip; its 4 soft-prompt embeddings go into the chat prompt
of the question. The LM alone gets the same chat prompt without them. Both generate exactly
``--tokens`` new tokens greedily (``min_new_tokens``, so an early end-of-answer does not shorten
one of them). Reported, as the median over ``--repeats``:

- video encode: the network forward that makes the soft prompt (video path only);
- first token: from calling generate to the first new token (the prompt's prefill);
- tokens/s: the remaining tokens over the time after the first one (decoding).

    .venv/bin/python benchmarks/chat_latency.py                 # docs/chat.md
    .venv/bin/python benchmarks/chat_latency.py --threads 1     # one thread
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

QUESTION = "which way does the circle move?"


class TimingStreamer:
    """Records when generate hands over each new token (the prompt's empty put is ignored)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def put(self, value: Any) -> None:
        if value.numel():
            self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def timed_generate(lm: Any, embeds: Any, mask: Any, tokens: int, pad: int) -> tuple[float, float]:
    """(seconds to the first new token, tokens/s after it)."""
    streamer = TimingStreamer()
    t0 = time.perf_counter()
    lm.generate(
        inputs_embeds=embeds,
        attention_mask=mask,
        max_new_tokens=tokens,
        min_new_tokens=tokens,
        do_sample=False,
        pad_token_id=pad,
        streamer=streamer,
    )
    first = streamer.times[0] - t0
    rest = streamer.times[-1] - streamer.times[0]
    return first, (len(streamer.times) - 1) / rest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=32, help="new tokens per answer")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    from sen_core.config import load_run_config
    from sen_core.network import build_network
    from sen_core.train.data import build_dataset
    from sen_heads.lm_zoo import load_named

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    load_named("smollm2-135m-instruct")
    load_s = time.perf_counter() - t0
    cfg = load_run_config("sen/chat-shapes@1", [])
    torch.manual_seed(0)
    net = build_network(cfg.model).eval()
    head: Any = net.heads["chat"]
    lm, tok = head.lm, head.tokenizer
    data: Any = build_dataset(cfg.data, "test")
    batch = data.collate([data[0]])
    batch["question"] = [QUESTION]
    text = head.prompt_template.replace("{video}", "").replace("{question}", QUESTION)
    ids = tok(text, return_tensors="pt", add_special_tokens=False).input_ids
    rows: dict[str, list[tuple[float, float, float]]] = {"video": [], "alone": []}
    with torch.no_grad():
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            prefix = head.soft_prompt(net(batch))
            embeds, mask, _ = head._sequences(prefix, head._prompts(batch, 1), None, left_pad=True)
            encode = time.perf_counter() - t0
            rows["video"].append(
                (encode, *timed_generate(lm, embeds, mask, args.tokens, tok.pad_token_id))
            )
            alone = lm.get_input_embeddings()(ids)
            rows["alone"].append(
                (
                    0.0,
                    *timed_generate(lm, alone, torch.ones_like(ids), args.tokens, tok.pad_token_id),
                )
            )
    n_video = int(embeds.shape[1])
    print(
        f"SmolLM2-135M-Instruct, {args.threads} thread(s), {args.tokens} new tokens, median of "
        f"{args.repeats}; LM load (cached folder, first in process) {load_s:.2f} s"
    )
    print("| prompt | prompt tokens | video encode (s) | first token (s) | tokens/s |")
    print("|---|---|---|---|---|")
    for name, n in (("video + question", n_video), ("question alone", int(ids.shape[1]))):
        r = rows["video" if name.startswith("video") else "alone"]
        med = [statistics.median(x[i] for x in r) for i in range(3)]
        enc = f"{med[0]:.3f}" if name.startswith("video") else "-"
        print(f"| {name} | {n} | {enc} | {med[1]:.3f} | {med[2]:.1f} |")


if __name__ == "__main__":
    main()
