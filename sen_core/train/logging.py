"""Run metrics: ``metrics.jsonl`` (one JSON object per log step and per evaluation) and ``curves.png``.

Each record written is also handed to the run's experiment trackers (TensorBoard, MLflow) if any.

Records are appended one line at a time, so a long run never rewrites its log; a line torn by a
kill is skipped when reading, and a resumed run rewrites the file (atomically) up to its checkpoint.
The PNG is drawn with matplotlib's Agg canvas (no pyplot, no display) and replaced atomically.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write, atomic_write_text

METRICS_FILE = "metrics.jsonl"
CURVES_FILE = "curves.png"
_NOT_METRICS = {"kind", "step", "split", "epoch", "time_s", "event", "message"}


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity: write them as strings so every line stays valid JSON
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All records of a ``metrics.jsonl``; a torn (unparseable) line is skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    # a damaged (non-UTF-8) line becomes unparseable text and is skipped like a torn one
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return records


class MetricsLog:
    """Append-only JSONL writer (a no-op on ranks other than 0)."""

    def __init__(self, path: str | os.PathLike[str], *, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        # experiment trackers (a TrackerSet) that also receive every train/eval record
        self.tracker: Any = None

    def reset(self, keep_until_step: int | None = None) -> None:
        """Start a new log, or keep only records up to ``keep_until_step`` (resume)."""
        if not self.enabled:
            return
        kept = (
            []
            if keep_until_step is None
            else [r for r in read_metrics(self.path) if int(r.get("step", 0)) <= keep_until_step]
        )
        atomic_write_text(
            self.path,
            "".join(json.dumps({k: _clean(v) for k, v in r.items()}) + "\n" for r in kept),
        )

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        line = json.dumps({k: _clean(v) for k, v in record.items()}) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
        if self.tracker is not None:
            self.tracker.log_record(record, ignore=_NOT_METRICS)

    def records(self) -> list[dict[str, Any]]:
        return read_metrics(self.path)


def _series(records: list[dict[str, Any]], kind: str) -> dict[str, tuple[list[float], list[float]]]:
    out: dict[str, tuple[list[float], list[float]]] = {}
    for r in records:
        if r.get("kind") != kind:
            continue
        for k, v in r.items():
            if k in _NOT_METRICS or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            xs, ys = out.setdefault(k, ([], []))
            xs.append(r["step"])
            ys.append(float(v))
    return out


def plot_curves(
    records: list[dict[str, Any]], path: str | os.PathLike[str], *, title: str = ""
) -> Path:
    """Training losses, learning rate and every evaluation metric against the step, as one PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    train = _series(records, "train")
    evals = _series(records, "eval")
    losses = {k: v for k, v in train.items() if k.startswith("loss")}
    panels: list[tuple[str, dict[str, tuple[list[float], list[float]]]]] = [("train loss", losses)]
    if "lr" in train:
        panels.append(("learning rate", {"lr": train["lr"]}))
    eval_losses = {k: v for k, v in evals.items() if k.startswith("loss")}
    if eval_losses:
        panels.append(("eval loss", eval_losses))
    panels += [(f"eval {k}", {k: v}) for k, v in sorted(evals.items()) if k not in eval_losses][:16]
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows), dpi=90)
    FigureCanvasAgg(fig)
    for i, (name, series) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        for label, (xs, ys) in series.items():
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=label)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.12 / (3.0 * rows), va="top")
    height = 3.0 * rows  # margins in inches, so a tall grid gets no wide blank band under the title
    fig.subplots_adjust(
        left=0.07,
        right=0.98,
        bottom=0.45 / height,
        top=1 - (0.75 if title else 0.3) / height,
        hspace=0.55,
        wspace=0.28,
    )
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
