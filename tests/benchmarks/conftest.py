"""tests/benchmarks: the fixture writers are importable by the test modules (tests/_bench_layouts.py,
tests/benchmarks/_bench_fixtures.py), and ``clips`` writes each tiny video once per session."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _bench_layouts import Clips


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("clips"))
