"""The main job, ``sen demo``: train and compare networks built from real pretrained neurons.

From the preset ``sen/demo@1`` (EfficientNet-Lite0 ImageNet on frames, MiniLM on text, kubric-lite
data) it derives five networks -- the single neuron, late-fusion concat, the RA K=0 control
(integrate only: attention across frames and neurons, no re-encoding) and RA at depth 1 and 3 --,
trains each with the same budget on every seed (sharing one cache of prompt-free features and one
in-memory copy of the rendered clips), evaluates them on held-out clips, and reports mean ± std
over seeds and paired differences between networks. It draws the single neuron's and RA's
predicted tracks against the truth on held-out frames, then ranks three real clips against three
text queries with the pretrained neurons alone. Report writing lives in demo_report.py, the track
pictures in demo_tracks.py, the real-clip pass in demo_clip.py.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sen_core.config.run_config import RunConfig

PRESET = "sen/demo@1"
SEEDS = (0, 1, 2)
DEPTHS = (0, 1, 3)  # RA depths compared; 0 is the control every deeper network is paired with
THREADS = 2  # fixed, so a seed's numbers do not depend on how many cores a machine has
PICTURED = ("single-frames", "ra-k3")  # whose tracks the pictures show (first seed)
PICTURE_CLIPS = (0, 1)  # held-out clips drawn


class _Memo:
    """A dataset whose samples are rendered once and kept: every network and seed reads the same
    clips, so the demo renders each once (``collate``, ``class_names`` pass through)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.samples: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        if index not in self.samples:
            self.samples[index] = self.dataset[index]
        return self.samples[index]

    def __getattr__(self, name: str) -> Any:
        if name == "dataset":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.dataset, name)


@dataclass
class Variant:
    """One network of the comparison and its per-seed results."""

    key: str
    label: str
    config: RunConfig
    runs: dict[int, dict[str, float]] = field(default_factory=dict)  # seed -> final metrics
    seconds: dict[int, float] = field(default_factory=dict)  # seed -> training wall time
    params: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def values(self, metric: str) -> dict[int, float]:
        """seed -> ``metric`` for the seeds that report it."""
        return {s: m[metric] for s, m in self.runs.items() if metric in m}


def _with_model(base: RunConfig, name: str, **model: Any) -> RunConfig:
    data = base.model_dump(mode="json")
    data["name"] = name
    data["model"].update(model)
    return RunConfig.model_validate(data)


def _with_seed(config: RunConfig, seed: int) -> RunConfig:
    data = config.model_dump(mode="json")
    data["train"]["seed"] = seed
    return RunConfig.model_validate(data)


def variants(base: RunConfig, depths: Sequence[int] = DEPTHS) -> list[Variant]:
    """The networks compared by the demo, derived from the demo preset.

    Neurons reading captions only give retrieval its text side (they never enter the state), so
    every variant keeps them. The single-neuron network is the anchor alone through the late-fusion
    block (a head on its pooled tokens); RA K=0 already attends across frames and neurons, so the
    RA K>0 rows isolate what recursion (distribute, re-encode with prompts) adds.
    """
    m = base.model
    text_out = [n.model_dump(mode="json") for n in m.neurons if n.input == "caption"]
    concat = {"block": "sen/fusion-concat@1", "depth": 0, "block_params": {}}
    out: list[Variant] = []
    for n in (n for n in m.neurons if n.input in ("video", "frames")):
        out.append(
            Variant(
                f"single-{n.id}",
                f"single neuron: {n.id} ({n.name})",
                _with_model(
                    base,
                    f"demo-single-{n.id}",
                    neurons=[n.model_dump(mode="json"), *text_out],
                    anchor=n.id,
                    **concat,
                ),
            )
        )
    out.append(
        Variant(
            "late-fusion",
            "late fusion: sen/fusion-concat@1",
            _with_model(base, "demo-late-fusion", **concat),
        )
    )
    for k in depths:
        what = "integrate only" if k == 0 else f"K={k}"
        out.append(
            Variant(
                f"ra-k{k}", f"RA: {m.block}, {what}", _with_model(base, f"demo-ra-k{k}", depth=k)
            )
        )
    return out


def fix_threads(threads: int = THREADS) -> None:
    """Same thread count and deterministic kernels wherever it is cheap (CPU: it always is)."""
    import torch

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def run_demo(
    out_dir: str | Path = "runs/demo",
    *,
    overrides: list[str] | None = None,
    seeds: Sequence[int] = SEEDS,
    clips: Sequence[str] | None = None,
    queries: Sequence[str] | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train and compare the demo networks on every seed; write results.{md,csv,png}, report.md,
    tracks.png and tracks.gif.

    ``clips``/``queries``: the real-clip ranking (None: the defaults of demo_clip; [] skips it).
    """
    from sen_core.app.demo_clip import CLIPS, QUERIES
    from sen_core.app.demo_report import METRICS, write_outputs
    from sen_core.app.demo_tracks import predict_clips, stand_still_aj
    from sen_core.config import load_run_config
    from sen_core.network import build_network
    from sen_core.network.describe import count_parameters
    from sen_core.neuron.cache import FeatureCache
    from sen_core.train import train
    from sen_core.train.data import build_dataset
    from sen_core.train.engine import seed_everything

    base = load_run_config(PRESET, list(overrides or []))  # a refused override changes nothing
    fix_threads()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = FeatureCache(out / "feature-cache")
    split = base.train.eval_split
    data = {s: _Memo(build_dataset(base.data, s)) for s in dict.fromkeys(("train", split))}
    runs = variants(base)
    pictured: dict[str, Any] = {}
    started = time.perf_counter()
    total = len(runs) * len(seeds)
    i = 0
    for seed in seeds:
        for v in runs:
            i += 1
            cfg = _with_seed(v.config, seed)
            echo(
                f"[{i}/{total}] seed {seed}, {v.label}: training {cfg.train.steps} steps "
                f"(depth {cfg.model.depth}, block {cfg.model.block})"
            )
            run_dir = out / v.key / f"seed-{seed}"
            shutil.rmtree(run_dir, ignore_errors=True)  # the demo's own output: always a fresh run
            t0 = time.perf_counter()
            seed_everything(seed)  # as `sen train` does before building
            net = build_network(cfg.model)
            v.params = count_parameters(net)
            final = train(
                cfg, run_dir, feature_cache=cache, progress=progress, model=net, datasets=data
            )
            if seed == seeds[0] and v.key in PICTURED:  # short names: they title the pictures
                depth = cfg.model.depth
                pictured["single neuron" if v.key.startswith("single-") else f"RA K={depth}"] = net
            v.seconds[seed] = time.perf_counter() - t0
            v.runs[seed] = {k: float(x) for k, x in final.items() if isinstance(x, (int, float))}
            shown = ", ".join(
                f"{METRICS[k]} {v.runs[seed][k]:.3f}" for k in METRICS if k in v.runs[seed]
            )
            echo(f"      done in {v.seconds[seed]:.0f} s: {shown}")
    # class names are a property of the dataset (of this demo's, not of every torch Dataset)
    class_names = getattr(data[split], "class_names", None)
    tracks, still = None, None
    if pictured and all("tracking" in n.heads for n in pictured.values()):
        picked = [i for i in PICTURE_CLIPS if i < len(data[split])]
        tracks = predict_clips(pictured, data[split], picked, cache)
        head = next(iter(pictured.values())).heads["tracking"]
        n_eval = len(data[split])
        if base.train.eval_batches is not None:
            n_eval = min(n_eval, base.train.eval_batches * base.train.batch_size)
        still = stand_still_aj(head, data[split], n_eval)
    summary: dict[str, Any] = {
        "variants": runs,
        "seeds": list(seeds),
        "class_names": class_names,
        "seconds": time.perf_counter() - started,
        "base": base,
        "clip": None,
        "tracks": tracks,
        "stand_still_aj": still,
    }
    clips = CLIPS if clips is None else clips
    if clips:
        from sen_core.app.demo_clip import rank_clips

        summary["clip"] = rank_clips(
            base, clips=list(clips), queries=list(queries or QUERIES), echo=echo
        )
    summary["seconds"] = time.perf_counter() - started
    write_outputs(out, summary)
    return summary
