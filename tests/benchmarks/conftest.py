"""tests/benchmarks: the fixture writers are importable by the test modules (tests/_bench_layouts.py,
tests/benchmarks/_bench_fixtures.py); ``clips`` writes each tiny video once per session and
``qvh_root`` the QVHighlights fixture once (tests that change files copy it first)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _bench_fixtures import write_qvhighlights
from _bench_layouts import Clips


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="session")
def qvh_root(tmp_path_factory) -> Path:
    """The QVHighlights fixture (jsonl files + tiny mp4s), written once; do not modify it."""
    return write_qvhighlights(tmp_path_factory.mktemp("qvh"))
