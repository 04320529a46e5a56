"""Plugin versions at save time vs now: one check for ``load_network``, ``sen eval`` and resume.

A saved network or run records which distribution (and version) provided each component. Frozen
encoders are rebuilt from the installed plugins rather than saved, so another version can silently
change results: a difference warns by default (a ``PluginWarning`` naming each distribution, its
saved and its installed version) and is a ``CheckpointError`` when strict (``SEN_STRICT_VERSIONS=1``,
``--strict-versions``, or ``strict=True``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sen_core.errors import CheckpointError, PluginWarning

__all__ = [
    "STRICT_ENV",
    "VersionDifference",
    "check_run_versions",
    "check_versions",
    "component_versions",
    "strict_versions",
    "version_differences",
]

STRICT_ENV = "SEN_STRICT_VERSIONS"


@dataclass(frozen=True)
class VersionDifference:
    """One distribution whose installed version is not the saved one.

    Attributes:
        distribution: the distribution (or plugin, when it has none) name.
        saved: its version at save time (``None``: not recorded).
        installed: its version now (``None``: not installed).
    """

    distribution: str
    saved: str | None
    installed: str | None

    def __str__(self) -> str:
        return (
            f"{self.distribution} (saved {self.saved or 'unknown'}, "
            f"installed {self.installed or 'not installed'})"
        )


def strict_versions(flag: bool | None = None) -> bool:
    """Whether a version difference is an error: ``flag`` if given, else ``SEN_STRICT_VERSIONS``."""
    if flag is not None:
        return flag
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def component_versions(
    provenances: Iterable[Mapping[str, Any] | Any | None],
) -> dict[str, str | None]:
    """``{distribution: version}`` of components' provenance (dicts or ``Provenance`` objects).

    A component without a distribution is keyed by its plugin name; one without provenance is
    left out.
    """
    out: dict[str, str | None] = {}
    for p in provenances:
        if p is None:
            continue
        get = p.get if isinstance(p, Mapping) else lambda k, _p=p: getattr(_p, k, None)
        name = get("distribution") or get("plugin")
        if name:
            out[str(name)] = get("version")
    return out


def version_differences(
    saved: Mapping[str, str | None], installed: Mapping[str, str | None]
) -> list[VersionDifference]:
    """Every distribution of ``saved`` whose ``installed`` version differs (sorted by name)."""
    return [
        VersionDifference(name, version, installed.get(name))
        for name, version in sorted(saved.items())
        if installed.get(name) != version
    ]


def check_versions(
    saved: Mapping[str, str | None],
    installed: Mapping[str, str | None],
    *,
    what: str,
    strict: bool | None = None,
) -> list[VersionDifference]:
    """Compare saved and installed distribution versions; warn, or raise when strict.

    Args:
        saved: ``{distribution: version}`` recorded at save time.
        installed: ``{distribution: version}`` of what is installed now.
        what: what was saved, for the message (e.g. ``runs/a/sen.json``).
        strict: raise instead of warning; default: ``SEN_STRICT_VERSIONS``.

    Returns:
        The differences (empty when everything matches).

    Raises:
        CheckpointError: there are differences and the check is strict.
    """
    diffs = version_differences(saved, installed)
    if not diffs:
        return diffs
    listed = "; ".join(map(str, diffs))
    if strict_versions(strict):
        raise CheckpointError(
            f"{what}: saved with other plugin versions than are installed: {listed} "
            f"(refused because {STRICT_ENV}=1 or --strict-versions; install the saved versions)"
        )
    warnings.warn(
        f"{what}: saved with other plugin versions than are installed: {listed}; results may "
        f"differ ({STRICT_ENV}=1 or --strict-versions makes this an error)",
        PluginWarning,
        stacklevel=2,
    )
    return diffs


def check_run_versions(
    info: Mapping[str, Any],
    components: Mapping[str, Mapping[str, Any]],
    *,
    what: str,
    strict: bool | None = None,
) -> list[VersionDifference]:
    """``check_versions`` for a run directory (``sen eval``, ``sen train --resume``).

    Args:
        info: the run's ``run.json`` (its ``versions`` holds sen's and every plugin's version at
            training time; a run without it is not checked).
        components: ``ResolvedNetwork.components()`` of the run's model with the installed
            plugins: the distributions that provide its encoders, block and heads now.
        what: the run, for the message.
        strict: raise instead of warning; default: ``SEN_STRICT_VERSIONS``.

    Returns:
        The differences (empty when everything matches or nothing was recorded).

    Raises:
        CheckpointError: there are differences and the check is strict.
    """
    versions = info.get("versions")
    if not isinstance(versions, Mapping) or not isinstance(versions.get("plugins"), list):
        return []
    by_plugin = {
        p.get("plugin"): p
        for p in versions["plugins"]
        if isinstance(p, Mapping) and p.get("plugin")
    }
    saved: dict[str, str | None] = {"sen": versions.get("sen")}
    installed: dict[str, str | None] = {"sen": _sen_version()}
    for comp in components.values():
        now = component_versions([comp])
        installed |= now
        then = by_plugin.get(comp.get("plugin"))
        for dist in now:
            saved.setdefault(dist, then.get("version") if then else None)
    return check_versions(saved, installed, what=what, strict=strict)


def _sen_version() -> str:
    from sen_core._version import __version__

    return __version__
