"""``sen/kubric-lite@1``: procedural TAP-Vid-Kubric-like clips (docs/benchmarks/kubric-lite.md).

Textured objects (shapes x named appearances, cut from PyPI-shipped photographs) move, scale and
occlude each other over a photo background seen through a panning, zooming camera; every sample
carries the batch schema of docs/datasets.md, and :meth:`KubricLiteDataset.tapvid` gives the
TAP-Vid-Kubric fields of one clip.
"""

from __future__ import annotations

from .dataset import KubricLiteDataset, KubricLiteParams, kubric_lite_dataset

__all__ = ["KubricLiteDataset", "KubricLiteParams", "kubric_lite_dataset"]
