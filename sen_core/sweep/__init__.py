"""Ablation sweeps: axes over config keys, trials in worker processes or on Ray, resumable results.

``run_sweep('sen/sweep-depth@1', 'runs/sweeps/depth', jobs=2)`` plans the trials (id = hash of the
resolved config), skips finished ones, and rebuilds results.csv / results.md / plot.png from the
per-trial result files. See docs/sweeps.md.
"""

from __future__ import annotations

from sen_core.sweep.report import summarise, write_reports
from sen_core.sweep.runner import default_out_dir, run_sweep
from sen_core.sweep.spec import (
    LoadedSweep,
    RandomAxis,
    RandomSpec,
    SweepSpec,
    Trial,
    expand,
    load_sweep,
    plan_trials,
)
from sen_core.sweep.trial import execute_trial, flatten_metrics, train_trial

__all__ = [
    "LoadedSweep",
    "RandomAxis",
    "RandomSpec",
    "SweepSpec",
    "Trial",
    "default_out_dir",
    "execute_trial",
    "expand",
    "flatten_metrics",
    "load_sweep",
    "plan_trials",
    "run_sweep",
    "summarise",
    "train_trial",
    "write_reports",
]
