"""The memory a run needs, bounded from below at validation: refused when this machine cannot hold it.

Two lower bounds, both float32 and both independent of which encoders are chosen: the RA glue
(``sen_core.network.memory.glue_bytes_lower_bound``) and one batch of frames at the largest image
size any frame-reading neuron or the dataset asks for (``train.batch_size x frames x 3 x S^2``).
Their sum above the machine's physical memory means training cannot succeed, so the config is
refused naming the keys, before a run directory, a network or a batch exists.
"""

from __future__ import annotations

from typing import Any

from sen_core.config.run_config import RunConfig
from sen_core.network.memory import (
    glue_bytes_lower_bound,
    glue_problem,
    input_bytes_lower_bound,
    machine_memory_bytes,
)

_FRAME_INPUTS = ("frames", "video")


def _int(value: Any, default: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else default


def memory_problem(
    config: RunConfig, dataset_defaults: dict[str, Any]
) -> tuple[tuple[Any, ...], str] | None:
    """(the key path to blame, one line naming the keys) when ``config`` cannot fit in this
    machine's memory, else None. ``dataset_defaults``: the dataset spec's default params."""
    have = machine_memory_bytes()
    if have is None:
        return None
    data = {**dataset_defaults, **config.data.params}
    frames = _int(data.get("frames"), 1)
    loc: tuple[Any, ...] = ("data", "params", "image_size")
    size = _int(data.get("image_size"), 0)
    for i, n in enumerate(config.model.neurons):
        s = _int(n.params.get("image_size"), 0)
        if n.input in _FRAME_INPUTS and s > size:
            size, loc = s, ("model", "neurons", i, "params", "image_size")
    batch = config.train.batch_size
    inputs = input_bytes_lower_bound(batch, frames, size) if size else 0
    if inputs + glue_bytes_lower_bound(config.model) <= have:
        return None
    if inputs <= glue_bytes_lower_bound(config.model):
        problem = glue_problem(config.model, inputs)
        return (("model", "width"), problem) if problem else None
    where = ".".join(map(str, loc))
    gib = 2**30
    return loc, (
        f"train.batch_size x data.params.frames x {where}: one batch of {batch} x {frames} frames "
        f"at {size}x{size} needs at least {inputs / gib:,.1f} GiB; this machine has "
        f"{have / gib:,.1f} GiB. Lower the batch size, the frames or the image size"
    )
