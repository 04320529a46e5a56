"""Batching for the ``sen_data`` datasets: ``sen_core.data.collate_samples`` (its public home)."""

from __future__ import annotations

from sen_core.data import collate_samples

__all__ = ["collate_samples"]
