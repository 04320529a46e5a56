"""How sen_core exports names: lazy package faces, and the old import paths of moved modules.

A package face (``sen_core.neuron``, ``sen_core.network``, ``sen_core.data``) lists its public names
in ``__all__`` and resolves each on first access (PEP 562), so importing the package stays cheap
until a name that needs torch is used. ``MOVED`` maps the module paths of SEN 0.1 to their new homes
(docs/architecture.md); importing an old path still works for one release, with a
``DeprecationWarning`` naming the new one.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install_moved_finder", "lazy_getattr"]

# old module path -> new module path (removed in the release after 0.2)
MOVED: dict[str, str] = {
    "sen_core.neuron_inputs": "sen_core.neuron.inputs",
    "sen_core.weights": "sen_core.neuron.weights",
    "sen_core.feature_cache": "sen_core.neuron.cache",
    "sen_core.timm_prompting": "sen_core.neuron.prompting.timm_models",
    "sen_core.timm_film_stages": "sen_core.neuron.prompting.timm_film_stages",
    "sen_core.head": "sen_core.network.head",
    "sen_core.network_spec": "sen_core.network.spec",
    "sen_core.run_config": "sen_core.config.run_config",
    "sen_core.video": "sen_core.data.video",
    "sen_core.source_location": "sen_core.catalogue.source_location",
    "sen_core._catalogue": "sen_core.catalogue._catalogue",
    "sen_core._plugins": "sen_core.catalogue._plugins",
    "sen_core._provenance": "sen_core.catalogue.provenance",
    "sen_core._frozen": "sen_core.specs",
    "sen_core.demo": "sen_core.app.demo",
    "sen_core.demo_report": "sen_core.app.demo_report",
    "sen_core.demo_clip": "sen_core.app.demo_clip",
    "sen_core.research": "sen_core.app.research",
}


def lazy_getattr(
    package: str, where: Mapping[str, Sequence[str]], public: Sequence[str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each public name from its module on first access.

    Args:
        package: the package's ``__name__``.
        where: module path -> the names it provides.
        public: the package's ``__all__`` (a literal list, so type checkers see the exports);
            it must name exactly the names of ``where``.

    Returns:
        The function to assign to the package's ``__getattr__``.

    Raises:
        RuntimeError: ``public`` and ``where`` disagree (a bug in the package, caught at import).
    """
    home = {name: module for module, names in where.items() for name in names}
    if set(home) != set(public) or len(home) != len(public):
        raise RuntimeError(f"{package}: __all__ and the lazy export table disagree")

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    return __getattr__


class _MovedLoader(importlib.abc.Loader):
    """Loads an old module path as a view of the module at its new home (same objects), with a warning."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # a fresh module object: the new module's own __spec__ stays untouched

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn(
            f"{self.old} moved to {self.new}; the old path will be removed in the next release "
            "(CHANGELOG.md, 'Migration')",
            DeprecationWarning,
            stacklevel=2,
        )
        target = importlib.import_module(self.new)
        keep = {"__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__"}
        module.__dict__.update({k: v for k, v in vars(target).items() if k not in keep})
        setattr(module, "__getattr__", lambda name: getattr(target, name))  # noqa: B010 - PEP 562 hook


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the module paths listed in ``MOVED`` (no other name)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedLoader(fullname, new))


def install_moved_finder() -> None:
    """Make the old module paths importable (once per process)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
