"""The learning-rate schedule: linear warm-up, then cosine decay to zero.

A pure function of the step (``lr_factor``) so it can be tested and plotted alone; the engine
hands it to ``torch.optim.lr_scheduler.LambdaLR`` (``make_scheduler``).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any


def lr_factor(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Multiplier of the base learning rate for optimizer step ``step`` (0-based).

    Steps ``0 .. warmup_steps-1`` ramp linearly: ``(step + 1) / warmup_steps`` (so the first
    update already moves the weights); afterwards a half cosine falls from 1 to 0 at
    ``total_steps``. Steps past the end stay at 0.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = total_steps - warmup_steps
    if decay_steps <= 0:
        return 1.0
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(optimizer: Any, *, warmup_steps: int, total_steps: int) -> Any:
    """A ``LambdaLR`` over ``lr_factor``; its state_dict is plain JSON (the lambda is a partial)."""
    from torch.optim.lr_scheduler import LambdaLR

    return LambdaLR(
        optimizer, partial(lr_factor, warmup_steps=warmup_steps, total_steps=total_steps)
    )
