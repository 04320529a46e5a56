"""Hook implementations of `sen_transformers` (entry point group `sen`)."""
from __future__ import annotations

from sen_core.hookspecs import hookimpl  # noqa: F401
