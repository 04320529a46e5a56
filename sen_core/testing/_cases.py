"""Conformance cases: which components to check, selected by namespace, plugin or distribution.

Every static spec of a kind that the selection matches is one case with its default params; extra
cases (a dynamic family's sample names, or the same component with other params) are appended,
never substituted, so adding a case never removes one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Case", "case_ids", "collect_cases", "selected"]


@dataclass(frozen=True)
class Case:
    """One component under test.

    Attributes:
        kind: 'encoder', 'block', 'head', 'dataset' or 'preset'.
        name: the catalogue name.
        params: params over the spec's defaults (empty: the defaults).
        source: where the case comes from ('catalogue' or the caller's label).
    """

    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = "catalogue"

    @property
    def overrides_shape(self) -> bool:
        """True when params change what the spec's layout declares (size, token selection, model)."""
        return bool(
            {"tokens_per_frame", "image_size", "model_kwargs", "max_length"} & set(self.params)
        )


def selected(spec: Any, selectors: Sequence[str]) -> bool:
    """Whether ``spec`` matches a selector: its namespace, plugin or distribution (none: all).

    Args:
        spec: a registered spec (its provenance is read).
        selectors: namespaces, plugin or distribution names; empty matches everything.

    Returns:
        True when one selector matches.
    """
    if not selectors:
        return True
    p = spec.provenance
    keys = {spec.namespace, p.plugin if p else None, p.distribution if p else None}
    return any(s in keys for s in selectors)


def collect_cases(
    kind: str,
    selectors: Sequence[str] = (),
    extra: Iterable[tuple[str, dict[str, Any]]] = (),
    *,
    catalogue: Any = None,
) -> list[Case]:
    """Every registered ``kind`` spec matching ``selectors`` (defaults), then the ``extra`` cases.

    Args:
        kind: 'encoder', 'block', 'head', 'dataset' or 'preset'.
        selectors: namespaces, plugin names or distribution names; empty selects everything.
        extra: ``(name, params)`` pairs added after the defaults (e.g. dynamic family members).
        catalogue: defaults to the installed plugins' catalogue.
    """
    from sen_core.catalogue import get_catalogue
    from sen_core.specs import FamilySpec

    cat = catalogue or get_catalogue()
    cases = [
        Case(kind=kind, name=s.name)
        for s in cat.list(kind)
        if not isinstance(s, FamilySpec) and selected(s, selectors)
    ]
    cases += [Case(kind=kind, name=n, params=dict(p), source="extra") for n, p in extra]
    return cases


def case_ids(cases: Sequence[Case]) -> list[str]:
    """Test ids: the name, with ``#2``, ``#3`` ... when a name has several cases.

    Args:
        cases: the cases, in order.

    Returns:
        One id per case.
    """
    counts, seen, ids = Counter(c.name for c in cases), Counter[str](), []
    for c in cases:
        seen[c.name] += 1
        ids.append(c.name if counts[c.name] == 1 else f"{c.name}#{seen[c.name]}")
    return ids
