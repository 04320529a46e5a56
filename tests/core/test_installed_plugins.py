"""Third-party plugins installed for real: the example plugin and a `sen new plugin` scaffold.

Both are pip-installed (offline, no deps) by one command into a folder of their own that only the
subprocesses see on PYTHONPATH (pip --target), not into the venv: the other pytest-xdist worker
(and other checkouts sharing the venv) never see them, and uninstalling is removing the folder.
One `sen list`, one `sen plugins` and one pytest run (each plugin's own tests) serve both: every
fresh interpreter pays the torch import again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sen_core.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sen-example-plugin"
SCAFFOLD = "zeta-check"  # its own namespace ('zeta/'): the example plugin owns 'acme/'
SCAFFOLD_NAMES = (
    "zeta/tinyconv@1",
    "zeta/mean-mix@1",
    "zeta/linear-probe@1",
    "zeta/color-clips@1",
    "zeta/demo@1",
)


def _run(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Any:
    """The scaffold rendered by `sen new plugin` and, with the example plugin, installed by one pip."""
    tmp = tmp_path_factory.mktemp("plugins")
    res = CliRunner().invoke(cli, ["new", "plugin", SCAFFOLD, "--dir", str(tmp)])
    assert res.exit_code == 0, res.output
    scaffold, site = tmp / SCAFFOLD, tmp / "site"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    done = _run(*pip, "--target", str(site), str(EXAMPLE), str(scaffold), env=env, cwd=tmp)
    assert done.returncode == 0, done.stderr
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    yield env, scaffold
    shutil.rmtree(site)  # uninstall: the target folder was the only place they lived


def _sen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(str(Path(sys.executable).parent / "sen"), *args, env=env)  # the console script


@pytest.fixture(scope="module")
def listed(installed) -> dict[str, dict[str, Any]]:
    res = _sen(installed[0], "list", "--json")
    assert res.returncode == 0, res.stderr
    return {r["name"]: r for r in json.loads(res.stdout)}


@pytest.fixture(scope="module")
def plugins(installed) -> dict[str, dict[str, Any]]:
    res = _sen(installed[0], "plugins", "--json")
    assert res.returncode == 0, res.stderr
    return {p["name"]: p for p in json.loads(res.stdout)}


@pytest.fixture(scope="module")
def own_tests(installed) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    """One pytest run over both plugins' own test folders: the run and each file's outcomes."""
    env, scaffold = installed
    tests = [str(scaffold / "tests"), str(EXAMPLE / "tests")]
    res = _run(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *tests, env=env, cwd=ROOT
    )
    outcomes: dict[str, list[str]] = {}
    for outcome, node in re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED) (\S+)", res.stdout, re.M):
        outcomes.setdefault(node.split("::", 1)[0].rsplit("/", 1)[-1], []).append(outcome)
    return res, outcomes


def test_example_plugin_is_listed(listed):
    """`sen list` shows the example's encoder, block and head with provenance from the distribution."""
    rows = {n: r for n, r in listed.items() if n.startswith("acme/")}
    assert set(rows) == {"acme/tinyconv@1", "acme/mean-mix@1", "acme/linear-probe@1"}
    assert {r["provenance"]["distribution"] for r in rows.values()} == {"sen-example-plugin"}


def test_example_plugin_in_sen_plugins(plugins):
    """`sen plugins` reports the distribution, version and hooks."""
    acme = plugins.get("acme")
    assert acme and acme["distribution"] == "sen-example-plugin" and acme["version"] == "0.1.0"
    assert acme["hooks"] == ["sen_encoders", "sen_blocks", "sen_heads"] and acme["error"] is None


def test_scaffold_is_listed(listed, plugins):
    """`sen list` and `sen plugins` show the scaffold's five components and its distribution."""
    for name in SCAFFOLD_NAMES:
        assert listed[name]["provenance"]["distribution"] == SCAFFOLD
    assert plugins["zeta"]["distribution"] == SCAFFOLD and plugins["zeta"]["error"] is None


def test_plugins_own_tests_pass(own_tests):
    """The example's test file (the authoring guide's example) and the scaffold's kit-based tests
    pass against the installed plugins: the kit's encoder, block, head, dataset and preset checks
    plus the scaffold's provenance test (29), the example's four."""
    res, outcomes = own_tests
    assert res.returncode == 0, res.stdout[-3000:]
    assert outcomes == {
        "test_conformance.py": ["PASSED"] * 29,
        "test_example_plugin.py": ["PASSED"] * 4,
    }, res.stdout[-3000:]


def test_uninstalled_plugin_is_gone():
    """Without the target on the path the plugin is not listed."""
    res = subprocess.run(
        [sys.executable, "-m", "sen_core", "list", "acme", "--json"], capture_output=True, text=True
    )
    assert res.returncode in (0, 2)
    assert "acme/tinyconv@1" not in res.stdout
