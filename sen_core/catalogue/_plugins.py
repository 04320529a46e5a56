"""Plugin loading: entry points of group ``sen`` -> pluggy -> a ``Catalogue`` of specs.

First-party plugins load through the same entry points as third-party ones (and load first). A
plugin that fails to import or to register, registers a malformed name, a name already taken, or a
name in a namespace SEN owns (``sen/``, ``timm/``, ``open_clip/``, ``transformers/``) is skipped as a whole with a one-line ``PluginWarning``
(fatal under ``SEN_STRICT_PLUGINS=1``); ``SEN_LOAD_PLUGINS=a,b`` loads only the named entry points.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from sen_core import hookspecs
from sen_core.catalogue._catalogue import Catalogue, PluginInfo, owner
from sen_core.errors import PluginLoadError, PluginWarning
from sen_core.specs import FamilySpec, Provenance, registered_name_problem

ENTRY_POINT_GROUP = "sen"
# The distribution that owns the reserved namespaces (its plugins load first).
FIRST_PARTY = "sen"
RESERVED_NAMESPACE = "sen"
# Namespaces only the first-party distribution may register in: SEN's own and its library wrappers.
RESERVED_NAMESPACES = (RESERVED_NAMESPACE, "timm", "open_clip", "transformers")

_HOOK_KIND = {
    "sen_encoders": ("encoder", "family"),
    "sen_blocks": ("block", "family"),
    "sen_heads": ("head", "family"),
    "sen_datasets": ("dataset", "family"),
    "sen_presets": ("preset",),
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
    """All entry points of group ``sen``, deduplicated by name (first on sys.path wins).

    First-party plugins come first, so a third party can never displace a first-party name.
    """
    seen: dict[str, PluginSource] = {}
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(ep.name, PluginSource.from_entry_point(ep))
    return sorted(seen.values(), key=lambda s: (s.distribution != FIRST_PARTY, s.name))


def load_catalogue(
    sources: Iterable[PluginSource] | None = None,
    *,
    strict: bool | None = None,
    allow: Iterable[str] | None = None,
) -> Catalogue:
    """Import every plugin, call its hooks, and return the catalogue of registered specs.

    Args:
        sources: where plugins come from; default: the installed entry points of group ``sen``.
        strict: make a skipped plugin fatal; default: ``SEN_STRICT_PLUGINS``.
        allow: load only these plugin (entry point) names; default: ``SEN_LOAD_PLUGINS``.

    Returns:
        The catalogue; ``catalogue.plugins`` lists every plugin, the failed ones with their reason.

    Raises:
        PluginLoadError: only when ``strict``, for the first plugin that would be skipped.
    """
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
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the others down
            _fail(info, src, f"failed to import: {_one_line(exc)}", strict, exc)
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
        except Exception as exc:  # noqa: BLE001 - a plugin's register hook may raise anything; it is isolated like an import failure
            pm.unregister(name=src.name)
            _fail(info, src, f"raised while registering: {_one_line(exc)}", strict, exc)
            continue
        prov = Provenance(plugin=src.name, distribution=src.distribution, version=src.version)
        specs = [spec.model_copy(update={"provenance": prov}) for spec in staged]
        clash = _name_problem(catalogue, specs, src)
        if clash is not None:
            pm.unregister(name=src.name)
            _fail(info, src, clash, strict, None)
            continue
        for spec in specs:
            catalogue.add(spec)
        info.components = len(staged)
    return catalogue


def _name_problem(catalogue: Catalogue, specs: list[Any], src: PluginSource) -> str | None:
    """Why this plugin's names cannot join the catalogue (taken, reserved, malformed), or None."""
    third_party = src.distribution not in (FIRST_PARTY, None)
    mine: set[str] = set()
    for spec in specs:
        key = spec.namespace if isinstance(spec, FamilySpec) else spec.name
        if isinstance(spec, FamilySpec):
            taken = catalogue.family(key)
        else:
            bad = registered_name_problem(key)
            if bad is not None:
                return f"registered a malformed name: {bad}"
            taken = catalogue.spec(key)
        if taken is not None:
            return f"registered '{spec.name}', which {owner(taken)} already registered"
        if key in mine:
            return f"registered '{spec.name}' twice"
        mine.add(key)
        namespace = key.split("/", 1)[0]
        if third_party and namespace in RESERVED_NAMESPACES:
            return (
                f"registered '{spec.name}' in the reserved '{namespace}/' namespace, which SEN "
                f"owns (only the '{FIRST_PARTY}' distribution may register in "
                f"{', '.join(ns + '/' for ns in RESERVED_NAMESPACES)}); use your own namespace"
            )
    return None


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


def _one_line(exc: Exception) -> str:
    """An exception as one line (a pydantic error lists each field; keep only loc and message)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors()]
            return f"{type(exc).__name__}: {'; '.join(parts)}"
        except Exception:  # noqa: BLE001 - not a pydantic error after all: fall back to str()
            pass
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _fail(
    info: PluginInfo, src: PluginSource, reason: str, strict: bool, exc: Exception | None
) -> None:
    info.error = reason
    message = f"sen: {src.describe()} {reason}"
    if strict:
        raise PluginLoadError(message + " (fatal because SEN_STRICT_PLUGINS=1)") from exc
    warnings.warn(message + "; skipped", PluginWarning, stacklevel=2)


__all__ = [
    "FIRST_PARTY",
    "RESERVED_NAMESPACE",
    "RESERVED_NAMESPACES",
    "PluginInfo",
    "PluginSource",
    "entry_point_sources",
    "load_catalogue",
]
