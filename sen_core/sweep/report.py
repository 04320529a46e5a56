"""Sweep reports, rebuilt from the trial files: ``results.csv``, ``results.md``, ``plot.png``.

Every report is regenerated whole from ``sweep.json`` and ``trials/*.json`` and written
atomically, so a killed sweep never leaves a partial or duplicated row; ``summarise`` backs
``sen sweep status``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import socket
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write, atomic_write_text
from sen_core.sweep._files import read_json, read_plan, read_results

CSV_FILE = "results.csv"
MD_FILE = "results.md"
PLOT_FILE = "plot.png"
STATE_FILE = "state.json"


# ---- rows ------------------------------------------------------------------------------------
def _metric_names(plan: dict[str, Any], results: dict[str, dict[str, Any]]) -> list[str]:
    if plan.get("metrics"):
        return list(plan["metrics"])
    names: set[str] = set()
    for r in results.values():
        names.update(k for k, v in (r.get("metrics") or {}).items() if _is_num(v))
    return sorted(names)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def collect(sweep_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[str], list[str]]:
    """(plan, rows, axis names, metric names); one row per planned trial that has a result."""
    plan = read_plan(sweep_dir)
    if plan is None:
        from sen_core.errors import SenError

        raise SenError(
            f"{sweep_dir}: not a sweep directory (no sweep.json); "
            f"run 'sen sweep SWEEP.yaml --out {sweep_dir}'"
        )
    ids = [t["id"] for t in plan["trials"]]
    results = read_results(sweep_dir, ids)
    metrics = _metric_names(plan, results)
    axes = list(plan.get("axes", []))
    rows = []
    for t in plan["trials"]:
        r = results.get(t["id"])
        if r is None:
            continue
        m = r.get("metrics") or {}
        rows.append(
            {
                "trial": t["id"],
                "status": r["status"],
                **{a: t["axes"].get(a) for a in axes},
                **{k: m.get(k) for k in metrics},
                "wall_time_s": round(float(r.get("wall_time_s") or 0.0), 3),
                "error": _one_line(r.get("error")) if r["status"] != "ok" else "",
            }
        )
    return plan, rows, axes, metrics


def write_csv(
    sweep_dir: Path, rows: list[dict[str, Any]], axes: list[str], metrics: list[str]
) -> Path:
    cols = ["trial", "status", *axes, *metrics, "wall_time_s", "error"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    path = Path(sweep_dir) / CSV_FILE
    atomic_write_text(path, buf.getvalue())
    return path


# ---- grouping over seeds ---------------------------------------------------------------------
def group_rows(
    rows: list[dict[str, Any]], axes: list[str], metrics: list[str], goal: str = "max"
) -> list[dict[str, Any]]:
    """Mean and std over seeds per combination of the other axes, best first by the first metric."""
    keys = [a for a in axes if a != "seed"]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(
            tuple(_hashable(r.get(a)) for a in keys),
            {"axes": {a: r.get(a) for a in keys}, "rows": []},
        )
        g["rows"].append(r)
    out = []
    for g in groups.values():
        ok = [r for r in g["rows"] if r["status"] == "ok"]
        stats = {}
        for m in metrics:
            vals = [float(r[m]) for r in ok if _is_num(r.get(m)) and not math.isnan(float(r[m]))]
            stats[m] = (
                statistics.fmean(vals) if vals else None,
                statistics.stdev(vals) if len(vals) > 1 else (0.0 if vals else None),
                len(vals),
            )
        out.append(
            {
                "axes": g["axes"],
                "stats": stats,
                "ok": len(ok),
                "total": len(g["rows"]),
                "failed": len(g["rows"]) - len(ok),
                "wall_time_s": sum(r["wall_time_s"] for r in g["rows"]),
            }
        )
    if metrics:
        first = metrics[0]
        sign = -1.0 if goal == "max" else 1.0
        out.sort(key=lambda g: (g["stats"][first][0] is None, sign * (g["stats"][first][0] or 0.0)))
    return out


def _order(v: Any) -> tuple[int, Any]:
    return (0, v) if _is_num(v) else (1, str(v))


def _hashable(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"


def write_markdown(
    sweep_dir: Path,
    plan: dict[str, Any],
    rows: list[dict[str, Any]],
    axes: list[str],
    metrics: list[str],
) -> Path:
    goal = plan.get("goal", "max")
    groups = group_rows(rows, axes, metrics, goal)
    keys = [a for a in axes if a != "seed"]
    total = len(plan["trials"])
    ok = sum(r["status"] == "ok" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    lines = [
        f"# Sweep {plan.get('name', '')}",
        "",
        f"{ok} ok, {failed} failed, {total - ok - failed} pending of {total} trials. "
        f"Mean ± std over seeds; sorted by {metrics[0] if metrics else '-'} "
        f"({'higher' if goal == 'max' else 'lower'} is better).",
        "",
    ]
    head = ["rank", *keys, *(f"{m}" for m in metrics), "seeds ok", "wall time (s, sum)"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, g in enumerate(groups, 1):
        ranked = bool(metrics) and g["stats"][metrics[0]][0] is not None
        cells = [str(i) if ranked else "-", *(_md(g["axes"][a]) for a in keys)]
        for m in metrics:
            mean, std, n = g["stats"][m]
            cells.append(
                "-" if mean is None else (f"{_fmt(mean)} ± {_fmt(std)}" if n > 1 else _fmt(mean))
            )
        cells += [f"{g['ok']}/{g['total']}", f"{g['wall_time_s']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    bad = [r for r in rows if r["status"] == "failed"]
    if bad:
        lines += [
            "",
            "## Failed trials",
            "",
            "| trial | " + " | ".join(axes) + " | error |",
            "|" + "---|" * (len(axes) + 2),
        ]
        for r in bad:
            lines.append(
                f"| {r['trial']} | "
                + " | ".join(_md(r.get(a)) for a in axes)
                + f" | {_md(r['error'][:200])} |"
            )
    path = Path(sweep_dir) / MD_FILE
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def _md(v: Any) -> str:
    return str(v).replace("|", "\\|") if v is not None else ""


# ---- plot ------------------------------------------------------------------------------------
def write_plot(
    sweep_dir: Path,
    plan: dict[str, Any],
    rows: list[dict[str, Any]],
    axes: list[str],
    metrics: list[str],
) -> Path | None:
    """The first metric against the first axis, one line per combination of the other axes."""
    if not metrics or not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = metrics[0]
    keys = [a for a in axes if a != "seed"]
    groups = group_rows(rows, axes, metrics, plan.get("goal", "max"))
    xkey = keys[0] if keys else None
    xs_all = list(dict.fromkeys(g["axes"][xkey] for g in groups)) if xkey else [""]
    numeric = all(_is_num(x) for x in xs_all)
    if numeric:
        xs_all = sorted(xs_all)
    pos = {x: (x if numeric else i) for i, x in enumerate(xs_all)}
    lines: dict[tuple[Any, ...], list[tuple[Any, float, float]]] = {}
    for g in groups:
        mean, std, _ = g["stats"][metric]
        if mean is None:
            continue
        other = tuple((a, g["axes"][a]) for a in keys[1:])
        lines.setdefault(other, []).append((pos[g["axes"][xkey]] if xkey else 0, mean, std or 0.0))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for other, pts in sorted(lines.items(), key=lambda kv: [_order(v) for _, v in kv[0]]):
        pts.sort(key=lambda p: p[0])
        label = ", ".join(f"{a}={v}" for a, v in other) or metric
        ax.errorbar(
            [p[0] for p in pts],
            [p[1] for p in pts],
            yerr=[p[2] for p in pts],
            marker="o",
            capsize=3,
            label=label,
        )
    ax.set_xlabel(xkey or "")
    if numeric and len(xs_all) <= 12:
        ax.set_xticks(xs_all)
    if not numeric:
        ax.set_xticks(list(range(len(xs_all))), [str(x) for x in xs_all], rotation=20, ha="right")
    ax.set_ylabel(f"{metric} (mean ± std over seeds)")
    ax.set_title(str(plan.get("name", "")))
    ax.grid(alpha=0.3)
    if keys[1:] and lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(sweep_dir) / PLOT_FILE
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
    return path


def write_reports(sweep_dir: Path, *, plot: bool = True) -> dict[str, Path]:
    """Rebuild results.csv and results.md (and plot.png) from the trial files."""
    plan, rows, axes, metrics = collect(sweep_dir)
    out = {
        "csv": write_csv(sweep_dir, rows, axes, metrics),
        "md": write_markdown(sweep_dir, plan, rows, axes, metrics),
    }
    if plot:
        p = write_plot(sweep_dir, plan, rows, axes, metrics)
        if p is not None:
            out["plot"] = p
    return out


# ---- status ----------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reports_current(sweep_dir: Path, ids: list[str], *, plot: bool) -> bool:
    """Whether results.csv and results.md (and plot.png when ``plot``) exist and were written
    after every trial result: the driver writes them last, so until then a sweep is not finished."""
    from sen_core.sweep._files import result_path

    newest = 0
    for tid in ids:
        try:
            newest = max(newest, result_path(sweep_dir, tid).stat().st_mtime_ns)
        except OSError:
            continue
    for name in (CSV_FILE, MD_FILE, *((PLOT_FILE,) if plot else ())):
        try:
            if (Path(sweep_dir) / name).stat().st_mtime_ns < newest:
                return False
        except OSError:
            return False
    return True


def summarise(sweep_dir: Path) -> dict[str, Any]:
    """Counts (done, failed, pending, running), the best combination so far, whether it runs.

    ``state`` is ``running`` while the driver is alive, ``finished`` once every trial has a result
    and the reports are written after the last of them, ``stopped`` otherwise (rerun to resume,
    or to rebuild the reports).
    """
    plan, rows, axes, metrics = collect(sweep_dir)
    total = len(plan["trials"])
    ok = sum(r["status"] == "ok" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    state = read_json(Path(sweep_dir) / STATE_FILE) or {}
    running_now = (
        bool(state.get("pid"))
        and state.get("host") == socket.gethostname()
        and state.get("active", False)
        and _alive(int(state["pid"]))
    )
    groups = group_rows(rows, axes, metrics, plan.get("goal", "max"))
    best = None
    if metrics and groups and groups[0]["stats"][metrics[0]][0] is not None:
        g = groups[0]
        mean, std, n = g["stats"][metrics[0]]
        best = {"axes": g["axes"], "metric": metrics[0], "mean": mean, "std": std, "seeds": n}
    return {
        "name": plan.get("name"),
        "dir": str(sweep_dir),
        "trials": total,
        "ok": ok,
        "failed": failed,
        "pending": total - ok - failed,
        "running": len(state.get("running", [])) if running_now else 0,
        "state": "running"
        if running_now
        else (
            "finished"
            if ok + failed == total
            and reports_current(
                Path(sweep_dir), [t["id"] for t in plan["trials"]], plot=bool(metrics and rows)
            )
            else "stopped"
        ),
        "best": best,
        "metrics": metrics,
    }


def format_best(best: dict[str, Any] | None) -> str:
    if not best:
        return "-"
    where = ", ".join(f"{k}={v}" for k, v in best["axes"].items()) or "(single combination)"
    spread = f" ± {_fmt(best['std'])}" if best["seeds"] > 1 else ""
    return f"{best['metric']} = {_fmt(best['mean'])}{spread} at {where} ({best['seeds']} seed(s))"


__all__: Sequence[str] = [
    "collect",
    "format_best",
    "group_rows",
    "summarise",
    "write_csv",
    "write_markdown",
    "write_plot",
    "write_reports",
]
