"""Neuron wrapper overhead: forward time through the SEN neuron vs calling the library model directly.

Run: .venv/bin/python benchmarks/neurons.py [--frames 8] [--repeat 7] [--only NAME]
Both sides get the same preprocessed input; times are medians of interleaved repeats measured in
one run. The goal is a ratio of at most 1.05 for every neuron.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

from sen_core.neuron import build_neuron


def _timm_case(name: str, frames: int, **params):
    neuron: Any = build_neuron(name, **params).eval()  # reads the timm model inside
    video = torch.randint(0, 256, (1, frames, 224, 224, 3), dtype=torch.uint8)
    x = neuron.preprocess(video)  # (1, T, 3, S, S)
    flat = x.flatten(0, 1)
    return (lambda: neuron.encode(x)), (lambda: neuron.model.forward_features(flat))


def _open_clip_image_case(name: str, frames: int):
    neuron = build_neuron(name).eval()
    video = torch.randint(0, 256, (1, frames, 224, 224, 3), dtype=torch.uint8)
    x = neuron.preprocess(video)
    flat = x.flatten(0, 1)
    visual: Any = neuron.visual  # the open_clip tower inside the neuron
    visual.output_tokens = True  # the library's own way to return all tokens, as the neuron does
    return (lambda: neuron.encode(x)), (lambda: visual(flat))


def _hf_text_case(name: str, texts: list[str]):
    neuron: Any = build_neuron(name).eval()  # reads the transformers model inside
    inputs = neuron.preprocess(texts)
    return (lambda: neuron.encode(inputs)), (lambda: neuron.model(**inputs).last_hidden_state)


SENTENCES = [f"a red circle moving left across a grey background, clip {i}" for i in range(16)]

CASES: dict[str, Callable[[int], tuple[Callable, Callable]]] = {
    "timm/vit_small_patch16_224 (random)": lambda f: _timm_case("timm/vit_small_patch16_224", f),
    "sen/efficientnet-lite0-imagenet@1": lambda f: _timm_case(
        "sen/efficientnet-lite0-imagenet@1", f
    ),
    "timm/resnet50 (random)": lambda f: _timm_case("timm/resnet50", f),
    "open_clip/ViT-B-32/image (random)": lambda f: _open_clip_image_case(
        "open_clip/ViT-B-32/image", f
    ),
    "sen/minilm-l6@1 (16 sentences)": lambda f: _hf_text_case("sen/minilm-l6@1", SENTENCES),
}


def measure(ours: Callable, direct: Callable, repeat: int) -> tuple[float, float]:
    a, b = [], []
    with torch.inference_mode():
        ours(), direct()  # warm-up
        for _ in range(repeat):  # interleave so drifting machine load hits both sides alike
            t0 = time.perf_counter()
            ours()
            a.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            direct()
            b.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default=None, help="substring of a case name")
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, frames {args.frames}")
    print(f"{'neuron':<40} {'wrapper s':>10} {'direct s':>10} {'ratio':>7}")
    worst = 0.0
    for label, make in CASES.items():
        if args.only and args.only not in label:
            continue
        ours, direct = make(args.frames)
        t_ours, t_direct = measure(ours, direct, args.repeat)
        ratio = t_ours / t_direct
        worst = max(worst, ratio)
        print(f"{label:<40} {t_ours:>10.4f} {t_direct:>10.4f} {ratio:>7.3f}")
    print(f"worst ratio {worst:.3f} (goal <= 1.05: {'met' if worst <= 1.05 else 'NOT met'})")


if __name__ == "__main__":
    main()
