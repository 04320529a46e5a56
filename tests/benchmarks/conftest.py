"""Fixtures: tiny benchmarks in their official layouts (writers in tests/_bench_layouts.py)."""

from __future__ import annotations

import pytest
from _bench_layouts import Clips


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("clips"))
