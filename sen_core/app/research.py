"""The research benchmarks: run a benchmark sweep and write its results page from the trials
(``sen/sweep-research-kubric@1`` -> docs/results.md, ``sen/sweep-research@1`` ->
docs/results-shapes.md, ``sen/sweep-research-chat@1`` -> docs/results-chat.md).

Training, resume and the shared feature cache are the sweep runner's (sen_core/sweep); this module
adds the statistics a reader needs to tell recursion from noise: mean +- std over seeds per network,
and each network's paired difference against the RA K=0 control (same seed, same data order) with a
95% t-interval over seeds. ``sen bench research`` is its command line.
"""

from __future__ import annotations

import io
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sen_core.app.research_pages import (
    INTROS,
    KUBRIC,
    SHAPES,
    companion_sections,
    stand_still,
    stand_still_line,
    trial_span,
)

SWEEP = SHAPES  # the default benchmark sweep of `sen bench research`
BASELINE = "ra-k0"
AXIS = "network"
MIN_SEEDS = (
    3  # fewer paired seeds give no verdict (two equal differences make a zero-width interval)
)
# metrics where lower is better (the field's TC: predicted minus true acceleration, in pixels)
LOWER_IS_BETTER = frozenset({"tracking/TC", "loss"})
# two-sided 95% quantiles of Student's t by degrees of freedom (df > 30: normal approximation)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


# what each non-baseline row tests; the verdicts are the tables' (regenerated with the numbers)
TRIED = [
    "## What each row tests",
    "",
    "- `single-frames`, `late-fusion`: the shallow baselines (the anchor alone; pooled features of "
    "every neuron concatenated), no attention across frames.",
    "- `ra-k0`: the control, integrate only (cross-attention across frames and neurons, no "
    "re-encoding). Every paired interval is against it.",
    "- `ra-k1`..`ra-k3`: recursion, with ReZero step gates (`zero_init_steps`, so each starts equal "
    "to K=0) and late prompts (FiLM from EfficientNet-Lite0 stage 3 of 0-4).",
    "- `ra-k1-ungated`: K=1 without the step gates (the update of every step is applied in full "
    "from the start), the setting that made depth hurt retrieval before.",
    "- `ra-k1-distill`: K=1 with collaborative distillation (`distill_weight` 0.5).",
    "- `ra-k3-truncated`: K=3 backpropagated through the last step's re-encoding only "
    "(`grad_steps: 1`, about 0.8x the training time of `ra-k3`).",
    "- `ra-k0-mean-pool`: the control with the token-mean readout (`pool: mean`) instead of the "
    "preset's `pool: trend`: what the readout alone is worth.",
    "- `ra-k3-slow-block`: K=3 with separate learning rates, the RA block at 0.3x `train.lr` "
    "(`train.lr_scale`), heads, adapters and readout at 1x.",
    "- `ra-<variant>-k1`, `ra-<variant>-k3`: every other block variant at K=1 and K=3, so each "
    "is seen at the better of the two depths (K=2 is measured for `sen/ra-cross@1` only).",
    "- Not measured here: prompts conditioned on the text neurons beyond what the state holds "
    "(the distributor reads the video state, into which the class-name neuron is integrated).",
]

TRIED_KUBRIC = [
    "## What each row tests",
    "",
    "- `single-frames`: EfficientNet-Lite0 alone (plus the caption reader that retrieval needs); "
    "`late-fusion`: pooled features of every neuron concatenated. No attention across frames.",
    "- `ra-k0`: the control, integrate only (cross-attention across frames and neurons, no "
    "re-encoding). Every paired interval is against it.",
    "- `ra-k1`, `ra-k3`: recursion with `sen/ra-cross@1`: FiLM prompts into EfficientNet's last "
    "stage (late prompts), re-encoding K times; K=3 backpropagates through the last step only "
    "(`grad_steps: 1`).",
    "- `ra-gated-k3`, `ra-memory-k3`, `ra-reaction-diffusion-k3`, `ra-dynamic-focus-k3`: the "
    "other block families at K=3 (their better depth on the shapes benchmark), `grad_steps: 1`; "
    "reaction-diffusion at `train.lr` 1e-3 (at the preset's 3e-3 its loss went to NaN near step "
    "150 on every seed, with gradient clipping at 1.0; the run stopped loudly).",
    "- Tracking reads EfficientNet's own 7x7 grid per frame at 224 px (cells 37 px apart on "
    "AJ's 256 px scale), through `sen/tracking@1` with `position: offset` (docs/tasks.md).",
]


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (95% two-sided)."""
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= len(_T975) else 1.960


def mean_std(values: Sequence[float]) -> tuple[float, float, int]:
    """(mean, sample std, n) of the finite values; std is 0 for one value, NaN for none."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return math.nan, math.nan, 0
    return statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0, len(vals)


def paired_interval(diffs: Sequence[float]) -> tuple[float, float, float, int]:
    """(mean difference, low, high, n): the 95% t-interval of paired per-seed differences."""
    m, s, n = mean_std(diffs)
    if n < 2:
        return m, math.nan, math.nan, n
    half = t975(n - 1) * s / math.sqrt(n)
    return m, m - half, m + half, n


def paired_p(diffs: Sequence[float]) -> float:
    """Two-sided p-value of the paired t-test (mean difference 0); NaN with fewer than 2 values."""
    m, s, n = mean_std(diffs)
    if n < 2:
        return math.nan
    if s == 0:
        return 1.0 if m == 0 else 0.0
    from scipy.stats import t as student_t

    return float(2 * student_t.sf(abs(m) / (s / math.sqrt(n)), n - 1))


def holm(pvalues: dict[Any, float]) -> dict[Any, float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1); NaN stays NaN."""
    finite = sorted((p, k) for k, p in pvalues.items() if not math.isnan(p))
    m, out, running = len(finite), dict.fromkeys(pvalues, math.nan), 0.0
    for i, (p, k) in enumerate(finite):
        running = max(running, min(1.0, (m - i) * p))
        out[k] = running
    return out


def table(rows: list[dict[str, Any]], metrics: list[str]) -> dict[str, dict[str, Any]]:
    """Per network: {"seeds": {seed: row}, metric: (mean, std, n), "diff:"+metric: interval,
    "p:"+metric: paired t-test p, "holm:"+metric: Holm-adjusted over every network x metric}."""
    nets: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.get("status") != "ok":
            continue
        nets.setdefault(str(r[AXIS]), {"seeds": {}})["seeds"][r.get("seed")] = r
    base = nets.get(BASELINE, {"seeds": {}})["seeds"]
    for entry in nets.values():
        seeds = entry["seeds"]
        for m in metrics:
            entry[m] = mean_std([s.get(m) for s in seeds.values()])
            shared = [k for k in seeds if k in base]
            diffs = [
                float(seeds[k][m]) - float(base[k][m])
                for k in shared
                if _finite(seeds[k].get(m)) and _finite(base[k].get(m))
            ]
            entry["diff:" + m] = paired_interval(diffs)
            entry["p:" + m] = paired_p(diffs)
    tests = {
        (n, m): e["p:" + m] for n, e in nets.items() if n != BASELINE for m in metrics
    }  # fmt: skip
    for (n, m), p in holm(tests).items():
        nets[n]["holm:" + m] = p
    return nets


def comparisons(nets: dict[str, dict[str, Any]], metrics: list[str]) -> int:
    """How many (network, metric) comparisons against the control have a p-value."""
    return sum(
        1 for n, e in nets.items() if n != BASELINE for m in metrics if not math.isnan(e["p:" + m])
    )


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fmt(m: float, s: float) -> str:
    return "-" if math.isnan(m) else f"{m:.3f} ± {s:.3f}"


def _digits(*values: float) -> int:
    """3 decimals, or 4 when every value is below 0.01 in size (so -0.0004 does not read -0.000)."""
    finite = [abs(v) for v in values if not math.isnan(v)]
    return 4 if finite and max(finite) < 0.01 else 3


def _fmt_diff(iv: tuple[float, float, float, int], holm_p: float = math.nan) -> str:
    m, lo, hi, n = iv
    if math.isnan(m):
        return "-"
    d = _digits(m, lo, hi)
    if math.isnan(lo):
        return f"{m:+.{d}f} (n={n})"
    sig = "" if lo <= 0 <= hi or n < MIN_SEEDS else " *"
    if not math.isnan(holm_p) and n >= MIN_SEEDS:
        sig += f" (Holm p={holm_p:.3f}{' †' if holm_p < 0.05 else ''})"
    return f"{m:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}]{sig}"


def _label(metric: str) -> str:
    return f"{metric} {'↓' if metric in LOWER_IS_BETTER else '↑'}"


def markdown_tables(nets: dict[str, dict[str, Any]], order: list[str], metrics: list[str]) -> str:
    """Two Markdown tables: mean ± std per network, and paired differences against K=0."""
    names = [n for n in order if n in nets]
    out = ["| network | seeds | " + " | ".join(_label(m) for m in metrics) + " |"]
    out.append("|---|---|" + "---|" * len(metrics))
    for n in names:
        e = nets[n]
        cells = [_fmt(*e[m][:2]) for m in metrics]
        out.append(f"| {n} | {len(e['seeds'])} | " + " | ".join(cells) + " |")
    out += ["", f"Paired difference against `{BASELINE}` (same seed), mean [95% t-interval]; "
            f"`*`: the interval excludes 0 (with at least {MIN_SEEDS} seeds); Holm p: the paired "
            f"t-test's p-value adjusted by Holm-Bonferroni over all {comparisons(nets, metrics)} "
            "comparisons (networks x metrics); `†`: significant at 0.05 after that correction.",
            ""]  # fmt: skip
    out.append("| network | " + " | ".join(_label(m) for m in metrics) + " |")
    out.append("|---|" + "---|" * len(metrics))
    for n in names:
        if n != BASELINE:
            out.append(
                f"| {n} | "
                + " | ".join(
                    _fmt_diff(nets[n]["diff:" + m], nets[n].get("holm:" + m, math.nan))
                    for m in metrics
                )
                + " |"
            )
    return "\n".join(out) + "\n"


def findings(nets: dict[str, dict[str, Any]], order: list[str], metrics: list[str]) -> list[str]:
    """One plain sentence per network and metric whose interval against K=0 excludes 0."""
    lines = []
    for n in (n for n in order if n in nets and n != BASELINE):
        for m in metrics:
            mean, lo, hi, k = nets[n]["diff:" + m]
            if math.isnan(lo) or lo <= 0 <= hi or k < MIN_SEEDS:
                continue
            better = (mean < 0) if m in LOWER_IS_BETTER else (mean > 0)
            word = "better" if better else "worse"
            d = _digits(mean, lo, hi)
            lines.append(
                f"- `{n}` is {word} than `{BASELINE}` on {m} "
                f"({mean:+.{d}f}, [{lo:+.{d}f}, {hi:+.{d}f}])."
            )
    null = [
        m
        for m in metrics
        if all(
            math.isnan(nets[n]["diff:" + m][1])
            or nets[n]["diff:" + m][1] <= 0 <= nets[n]["diff:" + m][2]
            or nets[n]["diff:" + m][3] < MIN_SEEDS
            for n in order
            if n in nets and n != BASELINE
        )
    ]
    tests = sum(1 for n in order if n in nets and n != BASELINE) * len(metrics)
    lines.append(
        f"- {tests} intervals at 95%: about {0.05 * tests:.0f} exclude 0 by chance alone, so a "
        "lone `*` is weak evidence; a finding that holds up repeats across metrics or runs."
    )
    held = [
        f"`{n}` on {m}"
        for n in order
        if n in nets and n != BASELINE
        for m in metrics
        if nets[n].get("holm:" + m, math.nan) < 0.05
    ]
    lines.append(
        f"- After Holm-Bonferroni over the {comparisons(nets, metrics)} comparisons: "
        + (
            f"{len(held)} {'remains' if len(held) == 1 else 'remain'} significant at 0.05 "
            f"({', '.join(held)})."
            if held
            else "none remains significant at 0.05."
        )
    )
    if null:
        lines.append(
            f"- On {', '.join(null)}: no network differs from `{BASELINE}` (every 95% interval "
            "contains 0), so at this budget neither recursion nor any block variant helps there."
        )
    return lines  # fmt: skip


def plot(
    nets: dict[str, dict[str, Any]], order: list[str], metrics: list[str], title: str = SWEEP
) -> bytes:
    """PNG: one panel per metric, mean ± std per network, seeds as dots, K=0 as a line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [n for n in order if n in nets]
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig = Figure(figsize=(4.2 * cols, 0.9 + 2.9 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for i, m in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, i + 1)
        means = [nets[n][m][0] for n in names]
        stds = [nets[n][m][1] for n in names]
        colours = ["tab:gray" if n == BASELINE else "tab:blue" for n in names]
        ax.bar(range(len(names)), means, yerr=stds, color=colours, capsize=2, alpha=0.8)
        for x, n in enumerate(names):
            vals = [s.get(m) for s in nets[n]["seeds"].values() if _finite(s.get(m))]
            ax.plot([x] * len(vals), vals, "k.", ms=3)
        if BASELINE in nets and not math.isnan(nets[BASELINE][m][0]):
            ax.axhline(nets[BASELINE][m][0], color="tab:gray", lw=0.8, ls="--")
        ax.set_title(_label(m), fontsize=9)
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"{title}: mean ± std over seeds (dots: seeds; dashed: RA K=0)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def machine() -> str:
    """A one-line description of this machine and its load (the benchmark's conditions)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores "
        f"({platform.processor() or 'unknown CPU'}), Python {platform.python_version()}, "
        f"load average {load} at report time"
    )


def write_report(
    sweep_dir: str | Path,
    out_md: str | Path,
    *,
    command: str,
    elapsed_s: float | None = None,
) -> Path:
    """Write ``out_md`` (and a PNG beside it) from the finished trials of ``sweep_dir``."""
    from sen_core._io import atomic_write_bytes, atomic_write_text
    from sen_core.sweep.report import collect

    plan, rows, _axes, metrics = collect(Path(sweep_dir))
    name = str(plan.get("name") or SWEEP)
    span = trial_span(Path(sweep_dir))
    order = list(dict.fromkeys(str(t["axes"].get(AXIS)) for t in plan["trials"]))
    nets = table(rows, metrics)
    out = Path(out_md)
    png = out.with_suffix(".png")
    atomic_write_bytes(png, plot(nets, order, metrics, name))
    failed = [r for r in rows if r.get("status") != "ok"]
    wall = sum(float(r.get("wall_time_s") or 0.0) for r in rows)
    settings = ", ".join((plan.get("spec") or {}).get("overrides") or []) or "none"
    title, intro = INTROS.get(name, ("Research benchmark results", ""))
    lines = [
        f"# {title}",
        "",
        *([intro, ""] if intro else []),
        f"Regenerate: `{command}` (resumable: finished trials are skipped, so a rerun only "
        f"rewrites this page). The sweep is `{name}` on the network "
        f"`{(plan.get('spec') or {}).get('base', '?')}`, data `{_data_name(plan)}`.",
        "",
        f"- Settings applied to every trial: {settings}.",
        f"- Trials: {len(rows)} finished, {len(failed)} failed; summed trial wall time "
        f"{wall:.0f} s"
        + (f"; first start to last finish {span:.0f} s ({span / 60:.1f} min)" if span else "")
        + (f", elapsed {elapsed_s:.0f} s (this run)" if elapsed_s is not None else "")
        + ".",
        f"- Machine: {machine()}.",
        f"- Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Mean ± sample std over seeds (↑ higher is better, ↓ lower is better; TC is the field's "
        "temporal coherence, docs/tasks.md). " + _chance(plan, metrics),
        "",
        markdown_tables(nets, order, metrics),
        f"![results]({png.name})",
        "",
        "## What the intervals say",
        "",
    ]
    found = findings(nets, order, metrics)
    lines += found or [
        f"- No network differs from `{BASELINE}` on any metric with a 95% interval that excludes 0."
    ]
    if "tracking/AJ" in metrics:
        lines += stand_still_line(stand_still(plan), nets)
    if name == SWEEP:
        lines += ["", *TRIED]
    elif name == KUBRIC:
        lines += ["", *TRIED_KUBRIC]
    if failed:
        lines += ["", "## Failed trials", ""]
        lines += [f"- {r.get(AXIS)} seed {r.get('seed')}: {r.get('error')}" for r in failed]
    lines += companion_sections(name, out)
    atomic_write_text(out, "\n".join(lines) + "\n")
    return out


def _data_name(plan: dict[str, Any]) -> str:
    try:
        return str(plan["trials"][0]["config"]["data"]["name"])
    except (KeyError, IndexError, TypeError):
        return "?"


def _chance(plan: dict[str, Any], metrics: Sequence[str] = ()) -> str:
    """Chance levels of top-1 (and R@1, when reported) under the plan's (first trial's) settings."""
    try:
        cfg = plan["trials"][0]["config"]
        n_eval = min(
            int(cfg["data"]["params"].get("num_samples", 512)),
            int(cfg["train"]["eval_batches"]) * int(cfg["train"]["batch_size"]),
        )
        classes = next(
            int(h["params"]["num_classes"])
            for h in cfg["model"]["heads"]
            if (h.get("params") or {}).get("num_classes")
        )
    except (KeyError, IndexError, StopIteration, TypeError, ValueError):
        return ""
    if not any(m.startswith("retrieval/") for m in metrics):
        return f"Chance: top-1 {1 / classes:.3f} ({classes} classes); {n_eval} held-out clips scored per trial."
    return (
        f"Chance: top-1 {1 / classes:.3f} ({classes} classes), R@1 {1 / n_eval:.3f} "
        f"({n_eval} held-out clips scored per trial)."
    )


def run_research(
    out_dir: str | Path,
    *,
    overrides: Sequence[str] = (),
    sweep: str = SWEEP,
    jobs: int = 1,
    write: str | Path | None = None,
    command: str = "sen bench research",
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or resume) the research sweep with ``overrides`` added, then write the report."""
    from sen_core.sweep import load_sweep, run_sweep

    loaded = load_sweep(sweep)
    if overrides:
        spec = loaded.spec.model_copy(update={"overrides": [*loaded.spec.overrides, *overrides]})
        loaded = type(loaded)(
            spec=spec, name=loaded.name, label=loaded.label, directory=loaded.directory
        )

    def finished() -> int:
        return len(list((Path(out_dir) / "trials").glob("*.json")))

    before = finished() if (Path(out_dir) / "trials").is_dir() else 0
    started = time.perf_counter()
    summary = run_sweep(loaded, out_dir, jobs=jobs, progress=progress)
    elapsed = time.perf_counter() - started
    if write is not None:
        # a rerun that only rewrites the page has no elapsed time worth printing
        ran = finished() > before
        path = write_report(out_dir, write, command=command, elapsed_s=elapsed if ran else None)
        echo(f"wrote {path} and {path.with_suffix('.png')} ({elapsed:.0f} s)")
    return summary
