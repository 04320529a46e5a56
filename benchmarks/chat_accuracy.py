"""Video chat accuracy on held-out shapes clips: a trained network + the real SmolLM2 vs blind baselines.

Trains ``sen/chat-shapes@1`` (the real SmolLM2-135M-Instruct, frozen, read through a soft prompt)
once per seed, then answers the questions of the first ``--clips`` held-out (test) clips greedily
and scores exact match with the SQuAD normalisation, overall and per question kind, against:

- chance: one answer drawn uniformly from the answers that question kind allows;
- the text-only prior: for each question string the answer most frequent among the training clips
  (the best any model can do without the video, in expectation);
- the same LM without the video: the question alone through the same chat prompt (zero-shot).

Every open-ended answer goes to ``OUT/seed-N/answers.jsonl`` (question, reference, prediction,
exact) for a judge to score; the summary (mean ± sample std over seeds) to ``OUT/summary.json``.

    .venv/bin/python benchmarks/chat_accuracy.py                 # docs/chat.md: seeds 0 1 2
    .venv/bin/python benchmarks/chat_accuracy.py --seeds 0 --steps 40 --clips 32   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PRESET = "sen/chat-shapes@1"
KINDS = {"which way": "motion", "which shape": "shape", "what colour": "colour"}


def kind_of(question: str) -> str:
    return next(v for k, v in KINDS.items() if question.startswith(k))


def options(dataset: Any) -> dict[str, set[str]]:
    """The answers each question kind allows in this dataset's configuration."""
    from sen_data.shapes import PALETTE

    p = dataset.params
    motion = {"still" if m == "static" else m for m in p.motions}
    return {"motion": motion, "shape": set(p.shapes), "colour": set(PALETTE)}


def prior(train_set: Any, n: int) -> dict[str, str]:
    """Most frequent training answer per question string (over the first n training clips)."""
    counts: dict[str, Counter[str]] = {}
    for i in range(n):
        s = train_set.render(i)
        counts.setdefault(s["question"], Counter())[s["answer"]] += 1
    return {q: c.most_common(1)[0][0] for q, c in counts.items()}


def score(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    from sen_heads.metrics_qa import normalize_answer

    out: dict[str, float] = {}
    for kind in ("all", *KINDS.values()):
        sel = [r for r in rows if kind in ("all", r["kind"])]
        if sel:
            hits = [normalize_answer(r[key]) == normalize_answer(r["answer"]) for r in sel]
            out[kind] = sum(hits) / len(sel)
    return out


def run_seed(seed: int, steps: int, clips: int, out: Path, cache: Any) -> dict[str, Any]:
    import torch

    from sen_core.config import load_run_config
    from sen_core.train import load_trained, train
    from sen_core.train.data import build_dataset

    cfg = load_run_config(PRESET, [f"train.seed={seed}", f"train.steps={steps}"])
    cfg = cfg.model_copy(
        update={
            "train": cfg.train.model_copy(update={"eval_every": steps, "checkpoint_every": steps})
        }
    )
    run_dir = out / f"seed-{seed}"
    t0 = time.perf_counter()
    train(cfg, run_dir, feature_cache=cache, progress=False)
    seconds = time.perf_counter() - t0
    net, _ = load_trained(run_dir)
    head = net.heads["chat"]
    test: Any = build_dataset(cfg.data, "test")
    train_set = build_dataset(cfg.data, "train")
    best = prior(train_set, int(cfg.data.params.get("num_samples", 512)))
    allowed = options(test)
    rows: list[dict[str, Any]] = []
    for start in range(0, clips, 16):
        samples = [test[i] for i in range(start, min(start + 16, clips))]
        batch = test.collate(samples)
        with torch.no_grad():
            answers = head.generate(net(batch), {"question": batch["question"]})
            blind = head.decode(_text_only(head, batch["question"]))
        for q, a, p, b in zip(batch["question"], batch["answer"], answers, blind, strict=True):
            kind = kind_of(q)
            rows.append(
                {
                    "question": q,
                    "answer": a,
                    "kind": kind,
                    "prediction": p,
                    "lm_alone": b,
                    "prior": best.get(q, ""),
                    "chance": 1 / len(allowed[kind]),
                }
            )
    from sen_heads.metrics_qa import normalize_answer

    with open(run_dir / "answers.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            exact = normalize_answer(r["prediction"]) == normalize_answer(r["answer"])
            f.write(json.dumps({**r, "exact": exact}) + "\n")
    chance = {
        kind: statistics.mean(r["chance"] for r in rows if kind in ("all", r["kind"]))
        for kind in ("all", *KINDS.values())
    }
    return {
        "seed": seed,
        "train_seconds": seconds,
        "video": score(rows, "prediction"),
        "lm_alone": score(rows, "lm_alone"),
        "prior": score(rows, "prior"),
        "chance": chance,
    }


def _text_only(head: Any, questions: list[str]) -> Any:
    """The same LM and chat prompt without the soft prompt: greedy answer ids."""
    import torch

    tok, lm = head.tokenizer, head.lm
    texts = [
        head.prompt_template.replace("{video}", "").replace("{question}", q) for q in questions
    ]
    side, tok.padding_side = tok.padding_side, "left"
    try:
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tok.padding_side = side
    with torch.no_grad():
        ids = lm.generate(
            **enc,
            max_new_tokens=head.max_new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
    return ids[:, enc.input_ids.shape[1] :]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--clips", type=int, default=96, help="held-out clips answered per seed")
    ap.add_argument("--out", type=Path, default=Path("runs/chat-accuracy"))
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core box)"
    )
    args = ap.parse_args()
    import torch

    from sen_core.neuron.cache import FeatureCache

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = FeatureCache(args.out / "feature-cache")
    results = []
    for seed in args.seeds:
        r = run_seed(seed, args.steps, args.clips, args.out, cache)
        results.append(r)
        print(json.dumps(r), flush=True)
    summary: dict[str, Any] = {"steps": args.steps, "clips": args.clips, "seeds": args.seeds}
    for what in ("video", "lm_alone", "prior", "chance"):
        summary[what] = {}
        for kind in results[0][what]:
            vals = [r[what][kind] for r in results]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            summary[what][kind] = (statistics.mean(vals), sd)
    gaps = [r["video"]["all"] - r["prior"]["all"] for r in results]
    summary["gap_video_minus_prior"] = (
        statistics.mean(gaps),
        statistics.stdev(gaps) if len(gaps) > 1 else 0.0,
    )
    summary["train_seconds"] = [r["train_seconds"] for r in results]
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print("| | all | motion | shape | colour |")
    print("|---|---|---|---|---|")
    for what in ("video", "prior", "lm_alone", "chance"):
        cells = [
            f"{m:.3f} ± {s:.3f}" for m, s in (summary[what][k] for k in ("all", *KINDS.values()))
        ]
        print(f"| {what} | " + " | ".join(cells) + " |")
    print(
        f"gap video - prior: {summary['gap_video_minus_prior'][0]:+.3f} ± {summary['gap_video_minus_prior'][1]:.3f}"
    )


if __name__ == "__main__":
    main()
