"""A lower bound on a network's parameter memory, checked before anything is allocated.

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


def check_fits(spec: NetworkSpec) -> None:
    """Raise ConfigError when the glue alone cannot fit in this machine's memory."""
    need, have = glue_bytes_lower_bound(spec), machine_memory_bytes()
    if have is not None and need > have:
        raise ConfigError(
            f"model.width: {spec.width} needs at least {need / 2**30:.1f} GiB for the RA block "
            f"weights alone; this machine has {have / 2**30:.1f} GiB. Use a smaller model.width"
        )
