"""Batching for the ``sen_data`` datasets: ``sen_core.data.collate_samples`` (one implementation).

Tensors are stacked along a new batch axis, strings stay lists, ``moments`` stays a list of
(K_i, 2) tensors (K varies per clip), and the dataset's ``class_names`` are attached.
"""

from __future__ import annotations

from sen_core.data import collate_samples

__all__ = ["collate_samples"]
