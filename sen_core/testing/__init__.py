"""The conformance kit (public API): the checks SEN runs over its own components, for any plugin.

A plugin author runs them in their own repository, with no SEN source checkout::

    # tests/test_conformance.py
    import pytest

    pytestmark = pytest.mark.sen_conformance("acme")  # namespace, plugin or distribution


    def test_conformance(sen_check):
        sen_check()

The pytest plugin (``sen_core.testing.pytest_plugin``, registered through the ``pytest11`` entry
point) parametrizes ``sen_check`` with one test per (component, check). Without pytest, iterate
``checks(kinds, selectors)`` yourself. Checks raise ``AssertionError`` on a broken contract and
``SkipCheck`` where a check does not apply. Kinds: encoders, blocks (inside a network of the tiny
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

__all__ = [
    "BLOCK_CHECKS",
    "CHECKS",
    "DATASET_CHECKS",
    "ENCODER_CHECKS",
    "HEAD_CHECKS",
    "PRESET_CHECKS",
    "Case",
    "SkipCheck",
    "case_ids",
    "checks",
    "collect_cases",
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
        One zero-argument callable per (case, check), with an id like
        ``acme/tinyconv@1-check_prompts_change_output``.
    """
    from sen_core.catalogue import get_catalogue

    cat = get_catalogue()
    extra = list(extra)
    out: list[tuple[str, Callable[[], None]]] = []
    for kind in kinds:
        mine = [(n, p) for n, p in extra if cat.get(n).kind == kind]
        cases = collect_cases(kind, selectors, mine, catalogue=cat)
        for case, cid in zip(cases, case_ids(cases), strict=True):
            for check in CHECKS[kind]:
                fn = partial(check, case)
                fn.__doc__ = check.__doc__
                out.append((f"{cid}-{check.__name__.removeprefix('check_')}", fn))
    return out
