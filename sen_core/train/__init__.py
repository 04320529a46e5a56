"""sen_core.train: the training engine, checkpoints, metrics logging and evaluation.

Public face: ``train``, ``evaluate``, ``load_trained``, ``lr_factor``, ``DivergedError``. Imported
lazily so that ``import sen_core.train`` stays cheap until one of them is used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DivergedError", "RunDir", "evaluate", "load_trained", "lr_factor", "run_eval", "train"]

_WHERE = {
    "train": "engine",
    "run_eval": "engine",
    "DivergedError": "engine",
    "evaluate": "evaluation",
    "load_trained": "evaluation",
    "lr_factor": "schedule",
    "RunDir": "rundir",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
