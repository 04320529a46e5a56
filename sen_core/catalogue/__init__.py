"""The catalogue: every registered spec, and the process-wide instance of installed plugins.

``get_catalogue()`` loads the plugins once (``sen_core.catalogue._plugins``); the ``Catalogue`` class and its
helpers live in ``sen_core.catalogue._catalogue`` and are re-exported here, their public home.
"""

from __future__ import annotations

import functools

from sen_core.catalogue._catalogue import (
    Catalogue,
    PluginInfo,
    import_ref,
    lookup_component,
    normalise_kind,
    owner,
)

__all__ = [
    "Catalogue",
    "PluginInfo",
    "get_catalogue",
    "import_ref",
    "lookup_component",
    "normalise_kind",
    "owner",
    "reset_catalogue",
]


@functools.lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    """The process-wide catalogue of installed plugins (loaded once)."""
    from sen_core.catalogue._plugins import load_catalogue

    return load_catalogue()


def reset_catalogue() -> None:
    """Forget the cached catalogue (after installing or removing a plugin, or in tests)."""
    get_catalogue.cache_clear()
