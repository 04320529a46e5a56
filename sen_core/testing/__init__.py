"""The conformance kit (public API): the checks SEN runs over its own components, for any plugin.

A plugin author runs them in their own repository, with no SEN source checkout::

    # tests/test_conformance.py
    import pytest

    pytestmark = pytest.mark.sen_conformance("acme")  # namespace, plugin or distribution


    def test_conformance(sen_check):
        sen_check()

The pytest plugin (``sen_core.testing.pytest_plugin``, registered through the ``pytest11`` entry
point) parametrizes ``sen_check`` with one test per (component, check). Without pytest, iterate
``checks(kinds, selectors)`` yourself. A check raises ``CheckFailure`` (an ``AssertionError``) on a
broken contract, naming the component, the check, the expected and the actual value, and
``SkipCheck`` where it does not apply. A selection that matches nothing, or names a plugin that
failed to load, is a ``ConfigError`` (never an empty list: the kit test must not pass by
checking nothing). Kinds: encoders, blocks (inside a network of the tiny
neurons of ``sen_core.testing.toys``), heads (fed ``sen_core.testing.batches``), datasets, presets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from sen_core.testing._block_checks import BLOCK_CHECKS
from sen_core.testing._cases import Case, case_ids, collect_cases, selected
from sen_core.testing._data_checks import DATASET_CHECKS, PRESET_CHECKS
from sen_core.testing._encoder_checks import ENCODER_CHECKS, SkipCheck
from sen_core.testing._head_checks import HEAD_CHECKS
from sen_core.testing._report import CheckFailure, expect, run_check

__all__ = [
    "BLOCK_CHECKS",
    "CHECKS",
    "DATASET_CHECKS",
    "ENCODER_CHECKS",
    "HEAD_CHECKS",
    "PRESET_CHECKS",
    "Case",
    "CheckFailure",
    "SkipCheck",
    "case_ids",
    "checks",
    "collect_cases",
    "expect",
    "selected",
]

CHECKS: dict[str, tuple[Callable[[Case], None], ...]] = {
    "encoder": ENCODER_CHECKS,
    "block": BLOCK_CHECKS,
    "head": HEAD_CHECKS,
    "dataset": DATASET_CHECKS,
    "preset": PRESET_CHECKS,
}


def checks(
    kinds: Iterable[str] = tuple(CHECKS),
    selectors: Sequence[str] = (),
    extra: Iterable[tuple[str, dict[str, Any]]] = (),
) -> list[tuple[str, Callable[[], None]]]:
    """``(test id, check)`` for every check of every selected component.

    Args:
        kinds: which kinds to check (default: every kind the kit covers).
        selectors: namespaces, plugin or distribution names (empty: every installed component).
        extra: ``(name, params)`` cases added to the defaults (their kind is looked up).

    Returns:
        One zero-argument callable per (case, check), with an id ``<case>-<check>``: the
        component's name (``#2``, ``#3`` ... for further cases of one name) and the check's name
        without ``check_``, e.g. ``acme/tinyconv@1-prompts_change_output``. Calling it raises
        ``CheckFailure`` naming the component, the check and the values, or ``SkipCheck``.

    Raises:
        ConfigError: an unknown kind; a selector naming a plugin that failed to load; a selector
            that matches no installed component; or nothing to check at all (each message names
            the selectors, what is installed and which plugins failed to load).
    """
    from sen_core.catalogue import get_catalogue
    from sen_core.errors import ConfigError

    cat = get_catalogue()
    kinds = list(kinds)
    bad = [k for k in kinds if k not in CHECKS]
    if bad:
        raise ConfigError(f"conformance kinds {bad}: expected some of {', '.join(CHECKS)}")
    _check_selection(cat, selectors)
    extra = list(extra)
    out: list[tuple[str, Callable[[], None]]] = []
    for kind in kinds:
        mine = [(n, p) for n, p in extra if cat.get(n).kind == kind]
        cases = collect_cases(kind, selectors, mine, catalogue=cat)
        for case, cid in zip(cases, case_ids(cases), strict=True):
            for check in CHECKS[kind]:
                fn = partial(run_check, check, case, cid)
                fn.__doc__ = check.__doc__
                out.append((f"{cid}-{check.__name__.removeprefix('check_')}", fn))
    if not out:
        what = f"'{', '.join(selectors)}'" if selectors else "the installed plugins"
        has = sorted({s.kind for s in cat.list() if selected(s, selectors)})
        raise ConfigError(
            f"conformance: nothing to check: no {' or '.join(kinds)} of {what} "
            f"(it registers: {', '.join(has) or 'nothing'}; a dynamic family needs cases)"
        )
    return out


def _check_selection(cat: Any, selectors: Sequence[str]) -> None:
    """Refuse selectors naming a failed plugin, or matching no installed component."""
    from sen_core.errors import ConfigError

    failed = cat.failed_plugins()
    for sel in selectors:
        for p in failed:
            if sel in (p.name, p.distribution):
                raise ConfigError(
                    f"conformance: {p.describe()} failed to load, so nothing of '{sel}' can be "
                    f"checked: {p.error}"
                )
    specs = cat.list()
    empty = [sel for sel in selectors if not any(selected(s, [sel]) for s in specs)]
    if empty:
        installed = sorted(
            {s.namespace for s in specs}
            | {
                x
                for s in specs
                if s.provenance
                for x in (s.provenance.plugin, s.provenance.distribution)
                if x
            }
        )
        broken = "; ".join(f"{p.describe()}: {p.error}" for p in failed) or "none"
        raise ConfigError(
            f"conformance: selector {', '.join(repr(e) for e in empty)} matches no installed "
            f"component (a selector is a namespace, plugin or distribution name); installed: "
            f"{', '.join(installed)}; plugins that failed to load: {broken}"
        )
