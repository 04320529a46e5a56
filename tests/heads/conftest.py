"""Fixtures for the head tests (helpers live in _heads_fixtures.py, a unique module name)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _heads_fixtures import make_batch, make_output

from sen_core.network.head import NetworkOutput


@pytest.fixture
def out() -> NetworkOutput:
    return make_output()


@pytest.fixture
def batch() -> dict[str, Any]:
    return make_batch()
