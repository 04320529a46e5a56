"""pytest plugin of the conformance kit (entry point ``pytest11``: ``sen``).

A test that takes ``sen_check`` is run once per (component, check) selected by its
``@pytest.mark.sen_conformance(*selectors, kinds=..., cases=[(name, params), ...])`` marker (or
the module's ``pytestmark``); ``--sen-select NS`` on the command line adds selectors. A check that
does not apply is reported as skipped. A selection that checks nothing (a selector matching no
installed component, or naming a plugin that failed to load) is a collection error: the test run
fails instead of passing with ``empty parameter set``.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sen-select",
        action="append",
        default=[],
        metavar="NAME",
        help="SEN conformance: check only components of this namespace, plugin or distribution",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sen_conformance(*selectors, kinds=None, cases=()): run SEN's conformance checks "
        "over the selected components (see sen_core.testing)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sen_check" not in metafunc.fixturenames:
        return
    from sen_core.errors import SenError
    from sen_core.testing import CHECKS, checks

    marker = metafunc.definition.get_closest_marker("sen_conformance")
    args: tuple[Any, ...] = marker.args if marker else ()
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    selectors = [*args, *metafunc.config.getoption("sen_select")]
    try:
        found = checks(kwargs.get("kinds") or tuple(CHECKS), selectors, kwargs.get("cases", ()))
    except SenError as exc:
        pytest.fail(f"{metafunc.definition.nodeid}: {exc}", pytrace=False)
    metafunc.parametrize(
        "sen_check", [fn for _, fn in found], ids=[i for i, _ in found], indirect=True
    )


@pytest.fixture
def sen_check(request: pytest.FixtureRequest) -> Any:
    """One conformance check, bound to its component; call it. SkipCheck becomes a pytest skip."""
    from sen_core.testing import SkipCheck

    fn = request.param

    def run() -> None:
        try:
            fn()
        except SkipCheck as exc:
            pytest.skip(str(exc))

    return run
