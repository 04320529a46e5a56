"""Lower bounds on the memory a network (and a run's batch) needs, checked before anything is allocated.

``sen_core.config`` checks the bounds of a whole run at validation (the glue below plus one batch
of frames at the largest image size); the builder checks the glue again for networks built from
a spec directly.

Only the glue SEN itself builds is counted (the state projection and one cross-attention per
neuron and RA step, ``4 * width**2`` weights each, float32): encoders are not known until built.
A bound above the machine's memory means the build cannot succeed, so it is refused with a
``ConfigError`` naming ``model.width`` instead of dying in the allocator.
"""

from __future__ import annotations

import os

from sen_core.errors import ConfigError
from sen_core.network.spec import NetworkSpec

_BYTES = 4  # float32


def glue_bytes_lower_bound(spec: NetworkSpec) -> int:
    """Bytes of the RA glue: at least one (B-independent) cross-attention per neuron and step."""
    attn = 4 * spec.width * spec.width
    return _BYTES * attn * max(1, len(spec.neurons) * max(1, spec.depth))


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def input_bytes_lower_bound(batch_size: int, frames: int, image_size: int) -> int:
    """Bytes of one batch of float32 RGB frames at ``image_size`` (what a frame encoder reads)."""
    return _BYTES * batch_size * frames * 3 * image_size * image_size


def glue_problem(spec: NetworkSpec, extra_bytes: int = 0) -> str | None:
    """Why the glue (plus ``extra_bytes``) cannot fit in this machine's memory, or None."""
    need, have = glue_bytes_lower_bound(spec), machine_memory_bytes()
    if have is None or need + extra_bytes <= have:
        return None
    return (
        f"model.width: {spec.width} needs at least {need / 2**30:,.1f} GiB for the RA block "
        f"weights alone; this machine has {have / 2**30:,.1f} GiB. Use a smaller model.width"
    )


def check_fits(spec: NetworkSpec) -> None:
    """Raise ConfigError when the glue alone cannot fit in this machine's memory."""
    problem = glue_problem(spec)
    if problem is not None:
        raise ConfigError(problem)
