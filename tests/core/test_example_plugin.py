"""Install the third-party example plugin (pip, temporary target), see it in the CLI, run its tests, remove it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sen-example-plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    env = dict(os.environ, PYTHONPATH=str(target) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    yield env
    shutil.rmtree(target)  # uninstall: the target folder was the only place it lived


def sen(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "sen_core", *args], env=env, capture_output=True, text=True
    )


def test_installed_plugin_is_listed(installed):
    """`sen list acme` shows the encoder, block and head with provenance from the distribution."""
    res = sen(installed, "list", "acme", "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"acme/tinyconv@1", "acme/mean-mix@1", "acme/linear-probe@1"}
    assert {r["provenance"]["distribution"] for r in rows.values()} == {"sen-example-plugin"}


def test_installed_plugin_in_sen_plugins(installed):
    """`sen plugins` reports the distribution, version and hooks."""
    res = sen(installed, "plugins", "--json")
    acme = [p for p in json.loads(res.stdout) if p["name"] == "acme"]
    assert (
        acme and acme[0]["distribution"] == "sen-example-plugin" and acme[0]["version"] == "0.1.0"
    )
    assert (
        acme[0]["hooks"] == ["sen_encoders", "sen_blocks", "sen_heads"] and acme[0]["error"] is None
    )


def test_plugin_own_tests_pass(installed):
    """The plugin's own test file (the authoring guide's example) passes against the installed plugin."""
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        env=installed,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    assert res.returncode == 0, res.stdout[-3000:]


def test_uninstalled_plugin_is_gone():
    """Without the target on the path the plugin is not listed."""
    res = subprocess.run(
        [sys.executable, "-m", "sen_core", "list", "acme", "--json"], capture_output=True, text=True
    )
    assert res.returncode in (0, 2)
    assert "acme/tinyconv@1" not in res.stdout
