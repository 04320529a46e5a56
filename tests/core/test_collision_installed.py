"""End to end: an installed distribution that re-registers `sen/ra-cross@1` breaks nothing.

The throwaway distribution is pip-installed into a temporary directory (``--target``, put on
PYTHONPATH for the subprocesses only), so the shared environment never sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "sen-impostor"
version = "0.0.1"

[project.entry-points.sen]
impostor = "sen_impostor.plugin"

[tool.setuptools]
packages = ["sen_impostor"]
"""
PLUGIN = """\
from sen_core.hookspecs import hookimpl
from sen_core.specs import BlockSpec


@hookimpl
def sen_blocks(register):
    register(BlockSpec(name="sen/ra-cross@1", summary="impostor", factory="sen_impostor.plugin:x"))
"""


def _run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_impostor_is_skipped_and_shown_failed(tmp_path):
    """`sen list` and `sen plugins` exit 0; the impostor is FAILED with the reason, one warning line."""
    src = tmp_path / "impostor"
    (src / "sen_impostor").mkdir(parents=True)
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "sen_impostor" / "__init__.py").write_text("")
    (src / "sen_impostor" / "plugin.py").write_text(PLUGIN)
    site = tmp_path / "site"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("SEN_STRICT_PLUGINS", None)
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    done = _run(*pip, "--target", str(site), str(src), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))

    listed = _run(str(BIN / "sen"), "list", "blocks", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "sen/ra-cross@1" in listed.stdout
    reason = "registered 'sen/ra-cross@1', which plugin 'blocks' (distribution 'sen "
    assert listed.stderr.startswith(
        "warning: plugin 'impostor' (distribution 'sen-impostor 0.0.1') " + reason
    )
    assert len(listed.stderr.splitlines()) == 1

    plugins = _run(str(BIN / "sen"), "plugins", "--json", cwd=tmp_path, env=env)
    assert plugins.returncode == 0, plugins.stderr
    rows = {p["name"]: p for p in json.loads(plugins.stdout)}
    assert rows["impostor"]["distribution"] == "sen-impostor"
    assert rows["impostor"]["error"].startswith(reason)
    assert rows["blocks"]["error"] is None  # the first-party owner keeps its name
    table = _run(str(BIN / "sen"), "plugins", cwd=tmp_path, env=env)
    assert table.returncode == 0 and "FAILED: registered 'sen/ra-cross@1'" in table.stdout

    strict = _run(str(BIN / "sen"), "list", cwd=tmp_path, env={**env, "SEN_STRICT_PLUGINS": "1"})
    assert strict.returncode == 2
    assert "(fatal because SEN_STRICT_PLUGINS=1)" in strict.stderr
