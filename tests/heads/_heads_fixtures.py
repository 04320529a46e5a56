"""Helpers for the head tests: the kit's random NetworkOutput and full-schema batch
(sen_core.testing.batches), and a head builder that applies the spec defaults."""

from __future__ import annotations

from typing import Any

import torch

from sen_core.catalogue import import_ref
from sen_core.testing.batches import CA, GRID, B, C, D, H, L, Q, T, W, make_batch, make_output
from sen_heads.plugin import HEADS

__all__ = [
    "CA",
    "GRID",
    "B",
    "C",
    "D",
    "H",
    "L",
    "Q",
    "T",
    "W",
    "build_head",
    "make_batch",
    "make_output",
]

SPECS = {s.name: s for s in HEADS}


def build_head(name: str, width: int = D, **params: Any):
    """Build a registered head the way the network does: spec defaults, then ``params``."""
    spec = SPECS[name]
    torch.manual_seed(0)
    return import_ref(spec.factory)(spec, width=width, **{**spec.params, **params})
