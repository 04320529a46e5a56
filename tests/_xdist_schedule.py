"""How `make test` shares the suite between pytest-xdist workers (the hook is in conftest.py).

pytest-xdist's default (`--dist load`) hands out single tests, so the two workers of a 2-core
machine each build the same encoders for the conformance checks, each import the same libraries
for a test file and each set up the same module fixtures: about 14 s of the suite's CPU time went
to such repeats. Here a unit of work is a test file, except the conformance kit's checks, whose unit
is one component (all checks of `timm/resnet18` share the one model the kit builds per process).
Units go out longest first (the measured seconds in `durations.json`; an unmeasured unit counts
DEFAULT_SECONDS a test), so the last units to start are short and both workers finish together.

`durations.json` only orders the work: a stale or missing entry can make the run slower, never
change what runs. Refresh it after adding slow tests:
`.venv/bin/python -m pytest -n auto -p no:cacheprovider --save-durations tests/durations.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DURATIONS = Path(__file__).parent / "durations.json"
DEFAULT_SECONDS = 0.1  # a test not in durations.json (the suite's mean is about 0.1 s)
KIT_TESTS = ("::test_conformance[",)  # a kit-parametrised test: id '<component>-<check>'


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or file::test[component] for kit checks."""
    path, sep, rest = nodeid.partition("::")
    for marker in KIT_TESTS:
        if f"::{rest}".startswith(marker) and rest.endswith("]") and "-" in rest:
            return f"{path}::{rest.rsplit('-', 1)[0]}]"
    return path if sep else nodeid


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    """Seconds per unit of work, {} when the file is missing or unreadable (ordering only)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}


def save_durations(seconds: Mapping[str, float], path: Path) -> None:
    """Write seconds per unit of work (sorted, 0.01 s), atomically."""
    text = json.dumps({k: round(v, 2) for k, v in sorted(seconds.items())}, indent=1) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def make_scheduler(config: Any, log: Any) -> Any:
    """A LoadScopeScheduling whose units are scope_of()'s and go out longest first."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    durations = load_durations()

    class LongestFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            def seconds(scope: str) -> float:
                known = durations.get(scope)
                return known if known is not None else DEFAULT_SECONDS * len(self.workqueue[scope])

            longest = max(self.workqueue, key=seconds)
            self.workqueue.move_to_end(longest, last=False)
            super()._assign_work_unit(node)

    return LongestFirst(config, log)
