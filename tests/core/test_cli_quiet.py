"""CLI output: third-party progress bars, logs and warnings silenced unless --verbose; a plugin
warning is one clean line."""

from __future__ import annotations

import logging
import types
import warnings

import pytest
from click.testing import CliRunner

import sen_core.catalogue._plugins as plugins
from sen_core.catalogue import reset_catalogue
from sen_core.cli import cli


def _noisy() -> types.ModuleType:
    """A plugin whose import does what heavy libraries do: a progress bar, a log line, a warning."""
    from transformers.utils import logging as tlog

    for _ in tlog.tqdm(range(3), desc="Loading weights"):
        pass
    logging.getLogger("timm").warning("timm log noise")
    warnings.warn("library warning noise", FutureWarning, stacklevel=1)
    return types.ModuleType("noisy")


def _broken() -> types.ModuleType:
    raise ModuleNotFoundError("No module named 'acme_dep'")


@pytest.fixture
def extra_plugins(monkeypatch):
    """The installed plugins plus a noisy one and a broken one (distribution 'sen-broken 1.0')."""
    real = plugins.entry_point_sources

    def sources():
        return [
            *real(),
            plugins.PluginSource("noisy", _noisy, distribution="sen-noisy", version="1.0"),
            plugins.PluginSource("broken", _broken, distribution="sen-broken", version="1.0"),
        ]

    pytest.importorskip("transformers")

    monkeypatch.setattr(plugins, "entry_point_sources", sources)
    reset_catalogue()
    yield
    reset_catalogue()


def test_quiet_by_default(extra_plugins, caplog):
    """`sen list` prints no progress bar, log line or library warning; the failed plugin is one line."""
    res = CliRunner().invoke(cli, ["list", "blocks"])
    assert res.exit_code == 0, res.output
    assert "Loading weights" not in res.output
    assert "noise" not in res.output
    assert "timm log noise" not in caplog.text  # the logger's level drops it before any handler
    warned = [line for line in res.output.splitlines() if "broken" in line]
    assert warned == [
        "warning: plugin 'broken' (distribution 'sen-broken 1.0') failed to import: "
        "ModuleNotFoundError: No module named 'acme_dep'; skipped"
    ]
    assert "warnings.warn" not in res.output and "return load_catalogue()" not in res.output


def test_verbose_shows_third_parties(extra_plugins, caplog):
    """`sen --verbose list` lets the progress bar, the log line and the warning through."""
    res = CliRunner().invoke(cli, ["--verbose", "list", "blocks"])
    assert res.exit_code == 0, res.output
    assert "Loading weights" in res.output
    assert "timm log noise" in caplog.text  # pytest's handler takes it instead of stderr
    assert "FutureWarning: library warning noise" in res.output
    assert "warning: plugin 'broken'" in res.output


def test_settings_restored_after_a_command(extra_plugins):
    """The silencing is undone when the command returns (loggers, environment)."""
    before = logging.getLogger("timm").level
    CliRunner().invoke(cli, ["list", "blocks"])
    assert logging.getLogger("timm").level == before
