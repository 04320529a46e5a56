"""The main job, ``sen demo``: train and compare networks built from real pretrained neurons.

From the preset ``sen/demo@1`` (EfficientNet-Lite0 ImageNet on frames, MiniLM on text, shapes data)
it derives four networks -- the best single neuron, late-fusion concat, RA at depth 1 and RA at
depth 3 --, trains each with the same budget and seed (sharing one cache of prompt-free features),
evaluates them on held-out clips, writes a table, a chart and a report, then runs the trained RA
network on a real clip. Report writing lives in demo_report.py, the real-clip pass in demo_clip.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .run_config import RunConfig

PRESET = "sen/demo@1"


@dataclass
class Variant:
    """One network of the comparison."""

    key: str
    label: str
    config: RunConfig
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    params: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def _with_model(base: RunConfig, name: str, **model: Any) -> RunConfig:
    data = base.model_dump(mode="json")
    data["name"] = name
    data["model"].update(model)
    return RunConfig.model_validate(data)


def variants(base: RunConfig) -> list[Variant]:
    """The four networks compared by the demo, derived from the demo preset.

    Neurons reading captions only give retrieval's text side (they never enter the state), so
    every variant keeps them; "single neuron" networks have the anchor as their only state input.
    """
    m = base.model
    text_out = [n for n in m.neurons if n.input == "caption"]
    visual = [n for n in m.neurons if n.input in ("video", "frames")]
    out: list[Variant] = []
    for n in visual:  # the single-neuron candidates: every visual neuron alone, depth 0
        neurons = [n.model_dump(mode="json")] + [t.model_dump(mode="json") for t in text_out]
        out.append(
            Variant(
                f"single-{n.id}",
                f"single neuron: {n.id} ({n.name})",
                _with_model(base, f"demo-single-{n.id}", neurons=neurons, anchor=n.id, depth=0),
            )
        )
    out.append(
        Variant(
            "late-fusion",
            "late fusion: sen/fusion-concat@1",
            _with_model(
                base, "demo-late-fusion", block="sen/fusion-concat@1", depth=0, block_params={}
            ),
        )
    )
    for k in (1, 3):
        out.append(
            Variant(
                f"ra-k{k}", f"RA: {m.block}, K={k}", _with_model(base, f"demo-ra-k{k}", depth=k)
            )
        )
    return out


def run_demo(
    out_dir: str | Path = "runs/demo",
    *,
    overrides: list[str] | None = None,
    clip: str | None = "bikes",
    query: str = "a person riding a bicycle",
    progress: bool = True,
    echo=print,
) -> dict[str, Any]:
    """Train and compare the demo networks; write results.md, results.csv, results.png, report.md."""
    from .config import load_run_config
    from .demo_report import METRICS, best_single, write_outputs
    from .feature_cache import FeatureCache
    from .network import build_network
    from .network.describe import count_parameters
    from .train import train
    from .train.data import build_dataset
    from .train.engine import seed_everything

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = load_run_config(PRESET, list(overrides or []))
    cache = FeatureCache(out / "feature-cache")
    runs = variants(base)
    started = time.perf_counter()
    net = None
    for i, v in enumerate(runs, 1):
        echo(
            f"[{i}/{len(runs)}] {v.label}: training {v.config.train.steps} steps "
            f"(depth {v.config.model.depth}, block {v.config.model.block})"
        )
        t0 = time.perf_counter()
        seed_everything(v.config.train.seed)  # as `sen train` does before building
        net = build_network(v.config.model)
        v.params = count_parameters(net)
        final = train(v.config, out / v.key, feature_cache=cache, progress=progress, model=net)
        v.seconds = time.perf_counter() - t0
        v.metrics = {k: float(x) for k, x in final.items() if isinstance(x, (int, float))}
        shown = ", ".join(f"{METRICS[k]} {v.metrics[k]:.3f}" for k in METRICS if k in v.metrics)
        echo(f"      done in {v.seconds:.0f} s: {shown}")
    # class names are a property of the dataset; one held-out sample is enough to get them
    class_names = build_dataset(
        base.data.model_copy(update={"params": {**base.data.params, "num_samples": 1}}), "val"
    ).class_names
    summary = {
        "variants": runs,
        "class_names": class_names,
        "best_single": best_single(runs),
        "seconds": time.perf_counter() - started,
        "base": base,
        "clip": None,
    }
    if clip:
        from .demo_clip import analyse_clip

        # the last variant is RA at depth 3, trained in place
        summary["clip"] = analyse_clip(
            net.eval(), runs[-1], class_names, clip=clip, query=query, echo=echo
        )
    write_outputs(out, summary)
    return summary
