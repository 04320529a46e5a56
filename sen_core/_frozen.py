"""The one base model for immutable, strict specs: every spec in sen_core derives from ``Frozen``.

Pure pydantic (no torch). ``extra="forbid"`` makes an unknown key an error, ``frozen=True`` makes a
spec hashable and safe to share between the catalogue, configs and built networks.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Frozen"]


class Frozen(BaseModel):
    """An immutable pydantic model that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
