"""The ``Catalogue`` class: every registered spec, queryable by kind, modality and wildcard pattern.

Static specs are held as data. Dynamic families (``timm/*``) are expanded only when a query names
their namespace, so plain listing never imports a library. Private: import it from
``sen_core.catalogue``, which also owns the process-wide instance (kept apart so that plugin
loading, which fills a Catalogue, and ``get_catalogue``, which calls plugin loading, form no cycle).
"""

from __future__ import annotations

import builtins
import fnmatch
import importlib
from dataclasses import dataclass, field
from typing import Any

from sen_core.errors import DuplicateNameError, UnknownNameError, suggest
from sen_core.specs import KINDS, FamilySpec, split_name


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin, as ``sen plugins`` shows it.

    Attributes:
        name: the entry point name; distribution / version: the installed distribution.
        hooks: the hooks it implements; components: how many specs it registered.
        error: why it was skipped (``None`` when it loaded).
    """

    name: str
    distribution: str | None
    version: str | None
    hooks: list[str] = field(default_factory=list)
    components: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the plugin loaded."""
        return self.error is None

    def describe(self) -> str:
        """``plugin 'x' (distribution 'acme-x 1.0')`` for messages."""
        if self.distribution:
            return f"plugin '{self.name}' (distribution '{self.distribution} {self.version}')"
        return f"plugin '{self.name}'"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (``sen plugins --json``)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": self.hooks,
            "components": self.components,
            "error": self.error,
        }


_KIND_ALIASES = (
    {k + "s": k for k in KINDS}
    | {k: k for k in KINDS}
    | {
        "families": "family",
        "family": "family",
        "neurons": "encoder",
        "neuron": "encoder",
    }
)


def normalise_kind(kind: str | None) -> str | None:
    """Accept 'encoders', 'encoder', 'neurons' ...; ``None`` means every kind."""
    if kind is None:
        return None
    try:
        return _KIND_ALIASES[kind.lower()]
    except KeyError:
        from sen_core.errors import SenError

        raise SenError(
            f"unknown kind '{kind}'; expected one of: {', '.join(k + 's' for k in KINDS)}"
        ) from None


def import_ref(ref: str) -> Any:
    """Import ``'package.module:attr'`` and return the attribute."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def owner(spec: Any) -> str:
    """Who registered ``spec``, for messages: ``plugin 'x' (distribution 'acme-x 1.0')``."""
    p = spec.provenance
    if p is None:
        return "an unknown plugin"
    if p.distribution:
        return f"plugin '{p.plugin}' (distribution '{p.distribution} {p.version}')"
    return f"plugin '{p.plugin}'"


class Catalogue:
    """All components registered by the loaded plugins."""

    def __init__(self) -> None:
        self._specs: dict[str, Any] = {}
        self._families: dict[str, FamilySpec] = {}
        self.plugins: list[PluginInfo] = []

    # ---- registration -------------------------------------------------------------------------
    def add(self, spec: Any) -> None:
        """Register one spec (or a ``FamilySpec``) under its name.

        Args:
            spec: a component spec, or a family (keyed by its namespace).

        Raises:
            DuplicateNameError: the name is taken, naming both owners.
        """
        if isinstance(spec, FamilySpec):
            table, key = self._families, spec.namespace
        else:
            table, key = self._specs, spec.name
        if key in table:
            raise DuplicateNameError(
                f"component '{spec.name}' is registered twice: by {owner(table[key])} "
                f"and by {owner(spec)}; uninstall one of them or disable it with SEN_LOAD_PLUGINS"
            )
        table[key] = spec

    # ---- queries ----------------------------------------------------------------------------
    def spec(self, name: str) -> Any | None:
        """The static spec registered under exactly ``name``, or None (no family lookup).

        Args:
            name: the full name, version included.
        """
        return self._specs.get(name)

    def family(self, namespace: str) -> FamilySpec | None:
        """The family registered for exactly ``namespace``, or None.

        Args:
            namespace: e.g. ``"timm"``.
        """
        return self._families.get(namespace)

    def failed_plugins(self) -> list[PluginInfo]:
        """Plugins that were skipped (import error, bad registration, name clash)."""
        return [p for p in self.plugins if not p.ok]

    def names(self, kind: str | None = None) -> list[str]:
        """The names of ``list(kind)``.

        Args:
            kind: a kind (``encoder``, ``block``, ...; plurals accepted) or None for all.
        """
        return [s.name for s in self.list(kind)]

    def families(self, kind: str | None = None) -> list[FamilySpec]:
        """The dynamic families whose members are of ``kind``.

        Args:
            kind: a kind, ``"family"`` or None for every family.
        """
        kind = normalise_kind(kind)
        return [f for f in self._families.values() if kind in (None, "family", f.family_of)]

    def list(
        self, kind: str | None = None, pattern: str | None = None, modality: str | None = None
    ) -> list[Any]:
        """Specs of ``kind`` whose name matches the wildcard ``pattern``, sorted by name.

        A pattern inside a family's namespace (``timm/*vit*``) lists that family's names (this
        imports the library); otherwise families appear as one ``namespace/*`` entry.

        Args:
            kind: a kind or None for all; pattern: a wildcard; modality: encoders of this modality.
        """
        kind = normalise_kind(kind)
        out = [
            s
            for s in self._specs.values()
            if kind in (None, s.kind) and (pattern is None or _match(s.name, pattern))
        ]
        for fam in self.families(kind):
            if pattern is not None and _in_namespace(pattern, fam.namespace):
                out.extend(self._expand(fam, pattern))
            elif pattern is None or _match(fam.name, pattern) or _match(fam.namespace, pattern):
                out.append(fam)
        if modality is not None:
            out = [s for s in out if getattr(s, "modality", None) == modality]
        return sorted(out, key=lambda s: s.name)

    def _expand(self, fam: FamilySpec, pattern: str) -> builtins.list[Any]:
        names = [n for n in import_ref(fam.lister)(pattern) if _match(n, pattern)]
        return [self._resolve(fam, n) for n in names]

    def get(self, name: str, kind: str | None = None) -> Any:
        """The spec registered as ``name``; a name without ``@version`` picks the newest version.

        Args:
            name: a registered name, or a name a dynamic family resolves (``timm/vit_tiny_patch16_224``).
            kind: the kind it must be, or None.

        Raises:
            UnknownNameError: no such component (with did-you-mean suggestions).
        """
        kind = normalise_kind(kind)
        spec = self._specs.get(name)
        if spec is None and "@" not in name:
            versions = [s for n, s in self._specs.items() if split_name(n)[0] == name]
            if versions:
                spec = max(versions, key=lambda s: split_name(s.name)[1] or 0)
        if spec is None:
            fam = self._family_for(name)
            if fam is not None and (kind is None or fam.family_of == kind):
                return self._resolve(fam, name)
        if spec is None or (kind is not None and spec.kind != kind):
            pool = [s.name for s in self._specs.values() if kind in (None, s.kind)]
            pool += [f.name for f in self.families(kind)]
            failed = [p.describe() for p in self.failed_plugins()]
            raise UnknownNameError(name, kind, suggest(name, pool), failed)
        return spec

    def _family_for(self, name: str) -> FamilySpec | None:
        best = None
        for ns, fam in self._families.items():
            if name.startswith(ns + "/") and (best is None or len(ns) > len(best.namespace)):
                best = fam
        return best

    def _resolve(self, fam: FamilySpec, name: str) -> Any:
        spec = import_ref(fam.resolver)(name)
        return spec.model_copy(update={"provenance": fam.provenance})

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except UnknownNameError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._specs) + len(self._families)


def _match(name: str, pattern: str) -> bool:
    if not any(c in pattern for c in "*?["):
        pattern = f"*{pattern}*"  # a bare word is a substring search
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def _in_namespace(pattern: str, namespace: str) -> bool:
    return pattern.lower().startswith(namespace.lower() + "/")


def lookup_component(catalogue: Any, name: str, kind: str) -> tuple[Any, str | None]:
    """The spec registered as ``name`` of ``kind``, or why there is none.

    The one component-name check: config validation and ``resolve_network`` both call it.

    Returns:
        ``(spec, None)``, or ``(None, problem)``: an unknown name (with suggestions and the
        plugins that failed to load) or a dynamic family that could not resolve it.
    """
    try:
        return catalogue.get(name, kind=kind), None
    except UnknownNameError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a family resolver failing on an odd name
        return None, f"cannot resolve {kind} '{name}': {type(exc).__name__}: {exc}"
