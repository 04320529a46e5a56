"""`sen new plugin`: the scaffold installs, its own kit-based tests pass, and SEN lists it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sen_core.cli import cli

BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_scaffold_installs_passes_its_tests_and_is_listed(tmp_path):
    """Create acme-check, pip-install it (offline), run its pytest, see it in sen list/plugins."""
    res = CliRunner().invoke(cli, ["new", "plugin", "acme-check", "--dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    root = tmp_path / "acme-check"
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    done = _run(*pip, "--no-build-isolation", str(root), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    try:
        tests = _run(str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root)
        assert tests.returncode == 0, tests.stdout[-3000:]
        assert "25 passed" in tests.stdout  # encoder, block and head checks of the kit + its own
        listed = _run(str(BIN / "sen"), "list", "acme", cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        for name in ("acme/tinyconv@1", "acme/mean-mix@1", "acme/linear-probe@1"):
            assert name in listed.stdout
        plugins = _run(str(BIN / "sen"), "plugins", cwd=tmp_path)
        assert plugins.returncode == 0 and "acme-check" in plugins.stdout
    finally:
        _run(str(BIN / "python"), "-m", "pip", "uninstall", "-q", "-y", "acme-check", cwd=tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Acme_Check"], "plugin name 'Acme_Check': expected lower-case words joined by '-'"),
        (["acme-x", "--kind", "encoder", "--dir", "{tmp}", "--dir", "{tmp}"], None),
    ],
)
def test_bad_name_is_one_line_exit_2(tmp_path, args, message):
    """A bad name exits 2 with one line; an existing folder is refused the second time."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    runner = CliRunner()
    res = runner.invoke(cli, ["new", "plugin", *args])
    if message is not None:
        assert res.exit_code == 2 and message in res.output
        return
    assert res.exit_code == 0, res.output
    again = runner.invoke(cli, ["new", "plugin", *args])
    assert again.exit_code == 2 and "already exists" in again.output
