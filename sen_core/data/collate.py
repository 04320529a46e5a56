"""Batching samples: a list of sample dicts -> one batch dict, padding variable axes with masks.

Tensors are stacked along a new batch axis; strings, dicts (``ids``) and the per-sample lists
(``moments``, ``moments_seconds``) stay lists; ``fps`` is one float when the samples agree. With
``pad``, fields whose shapes differ along a declared axis are zero-padded to the longest and a
boolean mask per axis says which entries are real: ``frame_mask`` (B, T), ``point_mask`` (B, Q),
``clip_mask`` (B, C). Without ``pad`` (or along an undeclared axis) differing shapes are an
``InputError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from sen_core.errors import InputError

__all__ = ["PAD_AXES", "collate_samples"]

# fields that keep one entry per sample instead of being stacked
_LIST_FIELDS = ("moments", "moments_seconds")

# field -> the named axis of each leading dimension that may vary across samples (None: fixed)
PAD_AXES: dict[str, tuple[str | None, ...]] = {
    "video": ("frame",),
    "saliency": ("frame",),
    "tracks": ("point", "frame"),
    "visible": ("point", "frame"),
    "query_points": ("point",),
    "track_index": ("point",),
    "saliency_clips": ("clip",),
}


def _pad(
    values: list[torch.Tensor], axes: Sequence[str | None], sizes: dict[str, list[int]]
) -> torch.Tensor:
    target = [max(v.shape[d] for v in values) for d in range(values[0].ndim)]
    out = torch.zeros((len(values), *target), dtype=values[0].dtype)
    for i, v in enumerate(values):
        region: tuple[int | slice, ...] = (i, *(slice(0, n) for n in v.shape))
        out[region] = v
        for d, name in enumerate(axes):
            if name is not None:
                row = sizes.setdefault(name, [0] * len(values))
                row[i] = max(row[i], v.shape[d])
    return out


def collate_samples(
    samples: list[dict[str, Any]],
    class_names: list[str] | None = None,
    pad: Mapping[str, tuple[str | None, ...]] | None = None,
) -> dict[str, Any]:
    """Batch ``samples`` (schema: docs/datasets.md); every sample must carry the same keys.

    ``pad``: field -> axis names (``PAD_AXES`` for the record datasets); the masks of every named
    axis that occurs are added, whether or not this batch needed padding.

    Args:
        samples: sample dicts; class_names: attached as ``class_names``; pad: as above.
    """
    if not samples:
        raise InputError("cannot collate an empty list of samples")
    keys = list(samples[0])
    for i, s in enumerate(samples[1:], start=1):
        if set(s) != set(keys):
            diff = sorted(set(s) ^ set(keys))
            raise InputError(
                f"sample {i} has different fields from sample 0 (differing: {', '.join(diff)})"
            )
    batch: dict[str, Any] = {}
    sizes: dict[str, list[int]] = {}
    for key in keys:
        values = [s[key] for s in samples]
        first = values[0]
        if key in _LIST_FIELDS or isinstance(first, (str, dict)):
            batch[key] = values
        elif key == "fps":
            # one rate for the batch when the clips agree (always for sen/shapes), else (B,)
            rates = [float(v) for v in values]
            batch[key] = (
                rates[0] if len(set(rates)) == 1 else torch.tensor(rates, dtype=torch.float64)
            )
        elif isinstance(first, torch.Tensor):
            shapes = {tuple(v.shape) for v in values}
            axes = (pad or {}).get(key)
            if axes is not None:
                fixed = {
                    tuple(n for d, n in enumerate(shape) if d >= len(axes) or axes[d] is None)
                    for shape in shapes
                }
                if len(fixed) != 1 or len({len(s) for s in shapes}) != 1:
                    raise InputError(
                        f"field '{key}' has different shapes across samples: {sorted(shapes)}"
                    )
                batch[key] = _pad(values, axes, sizes)
                continue
            if len(shapes) != 1:
                raise InputError(
                    f"field '{key}' has different shapes across samples: {sorted(shapes)}"
                )
            batch[key] = torch.stack(values)
        else:
            batch[key] = values
    for name, lengths in sizes.items():
        n = max(lengths)
        batch[f"{name}_mask"] = torch.arange(n)[None, :] < torch.tensor(lengths)[:, None]
    if class_names is not None:
        batch["class_names"] = list(class_names)
    return batch
