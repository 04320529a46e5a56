"""Property-based fuzz: mutated configs and overrides exit 0 or 2 cleanly, never a partial run dir.

Seeded (derandomize) and bounded: about a minute on two cores. benchmarks/fuzz_cli.py runs the
same properties over several hundred more cases.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _fuzz_cases import KEYS, VALUE_TEXTS, config_text, run_case

overrides = st.lists(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS), st.sampled_from(VALUE_TEXTS)),
    min_size=1,
    max_size=3,
)
raw_bytes = st.binary(min_size=0, max_size=40)


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=[Phase.generate],  # no shrinking: a failure prints its case, and time stays bounded
    )


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fresh(workdir: Path) -> None:
    shutil.rmtree(workdir / "runs", ignore_errors=True)


@_settings(150)
@given(ovr=overrides, command=st.sampled_from(["show", "build"]))
def test_mutated_overrides_show_and_build(workdir: Path, ovr: list[str], command: str) -> None:
    """`sen config show` / `sen build` with hostile overrides: 0 or 2, no traceback, nothing written."""
    _fresh(workdir)
    assert run_case(command, workdir, config_text().encode(), ovr) is None


@_settings(100)
@given(junk=raw_bytes, at=st.integers(min_value=0, max_value=2000))
def test_mutated_file_bytes(workdir: Path, junk: bytes, at: int) -> None:
    """Random bytes spliced into the config file: a clean message, never a traceback."""
    _fresh(workdir)
    text = config_text().encode()
    at = at % (len(text) + 1)
    assert run_case("show", workdir, text[:at] + junk + text[at:], []) is None


@_settings(10)
@given(ovr=overrides)
def test_one_step_train(workdir: Path, ovr: list[str]) -> None:
    """A one-step `sen train` under hostile overrides: 0 or 2, and no run dir left half-written."""
    _fresh(workdir)
    assert run_case("train", workdir, config_text().encode(), ovr) is None
