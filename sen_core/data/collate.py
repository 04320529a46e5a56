"""Batching for datasets (public through ``sen_core.data``): a list of sample dicts -> one batch.

Tensors are stacked along a new batch axis, strings stay lists, ``moments`` stays a list of
(K_i, 2) tensors (K varies per clip), and the dataset's ``class_names`` are attached. SEN's own
datasets use it; a dataset plugin's ``collate`` can be ``collate_samples(samples, self.class_names)``.
"""

from __future__ import annotations

from typing import Any

import torch

from sen_core.errors import InputError

# fields that keep one entry per sample instead of being stacked
_LIST_FIELDS = ("moments", "moments_seconds")


def collate_samples(
    samples: list[dict[str, Any]], class_names: list[str] | None = None
) -> dict[str, Any]:
    """Batch ``samples`` in the schema of docs/datasets.md; every sample must carry the same keys.

    Args:
        samples: the sample dicts (``ds[i]``), at least one.
        class_names: the dataset's class names, attached as ``batch["class_names"]`` (None: not).

    Returns:
        The batch dict.

    Raises:
        InputError: no samples, samples with different fields, or a field whose shapes differ.
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
    for key in keys:
        values = [s[key] for s in samples]
        first = values[0]
        if key in _LIST_FIELDS or isinstance(first, str):
            batch[key] = values
        elif key == "fps":
            # one rate for the batch when the clips agree (always for sen/shapes), else (B,)
            rates = [float(v) for v in values]
            batch[key] = (
                rates[0] if len(set(rates)) == 1 else torch.tensor(rates, dtype=torch.float64)
            )
        elif isinstance(first, torch.Tensor):
            shapes = {tuple(v.shape) for v in values}
            if len(shapes) != 1:
                raise InputError(
                    f"field '{key}' has different shapes across samples: {sorted(shapes)}"
                )
            batch[key] = torch.stack(values)
        else:
            batch[key] = values
    if class_names is not None:
        batch["class_names"] = list(class_names)
    return batch
