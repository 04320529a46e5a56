"""Plugin loading: entry points of group ``sen`` -> pluggy -> a ``Catalogue`` of specs.

First-party plugins load through the same entry points as third-party ones. A plugin that fails
to import or to register is skipped with a warning (fatal under ``SEN_STRICT_PLUGINS=1``);
``SEN_LOAD_PLUGINS=a,b`` loads only the named entry points.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .catalogue import Catalogue
from .errors import DuplicateNameError, PluginLoadError
from .specs import FamilySpec, Provenance

ENTRY_POINT_GROUP = "sen"

_HOOK_KIND = {
    "sen_encoders": ("encoder", "family"),
    "sen_blocks": ("block", "family"),
    "sen_heads": ("head", "family"),
    "sen_datasets": ("dataset", "family"),
    "sen_presets": ("preset",),
}


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin, as ``sen plugins`` shows it."""

    name: str
    distribution: str | None
    version: str | None
    hooks: list[str] = field(default_factory=list)
    components: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": self.hooks,
            "components": self.components,
            "error": self.error,
        }


@dataclass
class PluginSource:
    """Where a plugin comes from: an entry point, or (in tests) any loader callable."""

    name: str
    load: Callable[[], Any]
    distribution: str | None = None
    version: str | None = None

    @classmethod
    def from_entry_point(cls, ep: md.EntryPoint) -> PluginSource:
        dist = getattr(ep, "dist", None)
        return cls(
            name=ep.name,
            load=ep.load,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )

    def describe(self) -> str:
        if self.distribution:
            return f"plugin '{self.name}' (distribution '{self.distribution} {self.version}')"
        return f"plugin '{self.name}'"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def entry_point_sources() -> list[PluginSource]:
    """All entry points of group ``sen``, deduplicated by name (first on sys.path wins)."""
    seen: dict[str, PluginSource] = {}
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(ep.name, PluginSource.from_entry_point(ep))
    return sorted(seen.values(), key=lambda s: s.name)


def load_catalogue(
    sources: Iterable[PluginSource] | None = None,
    *,
    strict: bool | None = None,
    allow: Iterable[str] | None = None,
) -> Catalogue:
    """Import every plugin, call its hooks, and return the catalogue of registered specs."""
    if sources is None:
        sources = entry_point_sources()
    if strict is None:
        strict = _truthy(os.environ.get("SEN_STRICT_PLUGINS"))
    if allow is None and os.environ.get("SEN_LOAD_PLUGINS", "").strip():
        allow = [a.strip() for a in os.environ["SEN_LOAD_PLUGINS"].split(",") if a.strip()]
    allowed = set(allow) if allow is not None else None

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    catalogue = Catalogue()
    for src in sources:
        if allowed is not None and src.name not in allowed:
            continue
        info = PluginInfo(src.name, src.distribution, src.version)
        catalogue.plugins.append(info)
        try:
            module = src.load()
            pm.register(module, name=src.name)
        except Exception as exc:  # a broken plugin must not take the others down
            _fail(info, src, f"failed to import: {type(exc).__name__}: {exc}", strict, exc)
            continue
        staged: list[Any] = []
        try:
            for hook in hookspecs.HOOKS:
                impls = [
                    i for i in getattr(pm.hook, hook).get_hookimpls() if i.plugin_name == src.name
                ]
                for impl in impls:
                    info.hooks.append(hook)
                    impl.function(register=_collector(staged, hook, src))
        except PluginLoadError as exc:
            pm.unregister(name=src.name)
            _fail(info, src, str(exc), strict, exc)
            continue
        except Exception as exc:
            pm.unregister(name=src.name)
            _fail(info, src, f"raised while registering: {type(exc).__name__}: {exc}", strict, exc)
            continue
        prov = Provenance(plugin=src.name, distribution=src.distribution, version=src.version)
        for spec in staged:
            catalogue.add(spec.model_copy(update={"provenance": prov}))
        info.components = len(staged)
    return catalogue


def _collector(staged: list[Any], hook: str, src: PluginSource) -> Callable[[Any], None]:
    kinds = _HOOK_KIND[hook]

    def register(spec: Any) -> None:
        kind = getattr(spec, "kind", None)
        if kind not in kinds or (isinstance(spec, FamilySpec) and spec.family_of != kinds[0]):
            raise PluginLoadError(
                f"{src.describe()}: hook {hook} registered {type(spec).__name__} "
                f"{getattr(spec, 'name', spec)!r}; expected a {kinds[0]} spec"
            )
        staged.append(spec)

    return register


def _fail(info: PluginInfo, src: PluginSource, reason: str, strict: bool, exc: Exception) -> None:
    info.error = reason
    message = f"sen: {src.describe()} {reason}; skipped"
    if strict:
        raise PluginLoadError(message + " (SEN_STRICT_PLUGINS=1 makes this fatal)") from exc
    warnings.warn(message, RuntimeWarning, stacklevel=3)


__all__ = [
    "DuplicateNameError",
    "PluginInfo",
    "PluginSource",
    "entry_point_sources",
    "load_catalogue",
]
