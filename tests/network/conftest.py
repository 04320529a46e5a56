"""Fixtures for the network tests; the helpers live in _network_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so the toys' "module:attr" factories import

from _network_helpers import make_batch, toy_catalogue


@pytest.fixture(scope="session")
def catalogue():
    return toy_catalogue()


@pytest.fixture
def batch() -> dict[str, Any]:
    return make_batch()
