"""Hook specifications (public): a plugin module implements any of these with ``@hookimpl``.

Each hook receives ``register``; call it once per component spec. The host records which plugin
(and distribution) registered what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = ["HOOKS", "PROJECT", "Register", "hookimpl", "hookspec"]

PROJECT = "sen"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[Any], None]

HOOKS = ("sen_encoders", "sen_blocks", "sen_heads", "sen_datasets", "sen_presets")


@hookspec
def sen_encoders(register: Register) -> None:
    """Register encoder specs (``EncoderSpec``) or dynamic families (``FamilySpec``)."""


@hookspec
def sen_blocks(register: Register) -> None:
    """Register RA block specs (``BlockSpec``)."""


@hookspec
def sen_heads(register: Register) -> None:
    """Register task head specs (``HeadSpec``)."""


@hookspec
def sen_datasets(register: Register) -> None:
    """Register dataset specs (``DatasetSpec``)."""


@hookspec
def sen_presets(register: Register) -> None:
    """Register named presets (``PresetSpec``)."""
