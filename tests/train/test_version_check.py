"""`sen eval` and `sen train --resume` of a run trained under other plugin versions: warn, or refuse
under --strict-versions / SEN_STRICT_VERSIONS=1 (one check: sen_core.catalogue.provenance)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sen_core._version import __version__
from sen_core.cli import cli


def sen(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


@pytest.fixture
def old_run(tiny, tmp_path, monkeypatch):
    """A tiny trained run whose run.json says it was trained under sen 0.0.1 (all plugins too)."""
    monkeypatch.delenv("SEN_STRICT_VERSIONS", raising=False)
    run_dir = tmp_path / "run"
    res = sen("train", tiny, "--run-dir", run_dir, "--no-progress", "--json")
    assert res.exit_code == 0, res.output
    info = json.loads((run_dir / "run.json").read_text())
    info["versions"]["sen"] = "0.0.1"
    for p in info["versions"]["plugins"]:
        p["version"] = "0.0.1" if p["distribution"] == "sen" else p["version"]
    (run_dir / "run.json").write_text(json.dumps(info))
    return run_dir


def test_eval_warns_then_strict_refuses(old_run, tiny):
    """eval warns naming the distribution and both versions; --strict-versions and the env refuse."""
    named = f"sen (saved 0.0.1, installed {__version__})"
    res = sen("eval", old_run, "--split", "val", "--batches", "1")
    assert res.exit_code == 0, res.output
    assert named in res.output and "--strict-versions makes this an error" in res.output
    res = sen("eval", old_run, "--batches", "1", "--strict-versions")
    assert res.exit_code == 2
    assert res.output.startswith("error: ") and named in res.output
    assert "Traceback" not in res.output
    res = sen("eval", old_run, "--batches", "1", env={"SEN_STRICT_VERSIONS": "1"})
    assert res.exit_code == 2 and named in res.output


def test_resume_strict_refuses(old_run, tiny):
    """train --resume --strict-versions refuses the run before loading its checkpoint."""
    res = sen("train", tiny, "--run-dir", old_run, "--resume", "--no-progress", "--strict-versions")
    assert res.exit_code == 2, res.output
    assert f"sen (saved 0.0.1, installed {__version__})" in res.output
