"""The `sen` CLI on the catalogue: exit codes, one-line errors, --debug, JSON output, schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sen_core.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version():
    """--version prints the package version."""
    from sen_core import __version__

    res = run("--version")
    assert res.exit_code == 0 and __version__ in res.output


def test_unknown_component_exits_2_with_one_line():
    """A user error exits 2 with a single 'error:' line and no traceback."""
    res = subprocess.run(
        [sys.executable, "-m", "sen_core", "show", "sen/ra-crosss@1"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown component 'sen/ra-crosss@1'")
    assert "Traceback" not in res.stderr


def test_debug_shows_the_traceback():
    """--debug re-raises so the traceback is visible."""
    res = subprocess.run(
        [sys.executable, "-m", "sen_core", "--debug", "show", "acme/none@1"],
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0 and "Traceback" in res.stderr and "UnknownNameError" in res.stderr


def test_unknown_kind_exits_2():
    """`sen schema widget` names the accepted kinds."""
    res = CliRunner().invoke(cli, ["schema", "widget"])
    assert res.exit_code == 2
    assert (
        "unknown kind 'widget'; expected one of: encoder, block, head, dataset, preset, family, network, run"
        in res.output
    )


@pytest.mark.parametrize(
    "kind", ["encoder", "blocks", "head", "dataset", "preset", "network", "run"]
)
def test_schema_export_is_json_schema(kind):
    """`sen schema KIND` prints a JSON schema with the spec's fields."""
    res = run("schema", kind)
    schema = json.loads(res.output)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert "properties" in schema


def test_schema_encoder_lists_contract_fields():
    """The encoder schema exposes the public contract fields."""
    props = json.loads(run("schema", "encoder").output)["properties"]
    for field in (
        "name",
        "summary",
        "factory",
        "params",
        "provenance",
        "modality",
        "width",
        "layout",
        "preprocess",
        "prompting",
    ):
        assert field in props


def test_list_json_and_plugins_json():
    """`sen list --json` and `sen plugins --json` are machine readable."""
    listed = json.loads(run("list", "--json").output)
    assert isinstance(listed, list)
    plugins = json.loads(run("plugins", "--json").output)
    names = {p["name"] for p in plugins}
    assert {"blocks", "heads", "data", "timm", "presets"} <= names
    assert all(p["distribution"] == "sen" for p in plugins if p["name"] in names)


def test_bad_usage_exits_2():
    """Click usage errors (a bad option) also exit 2."""
    res = CliRunner().invoke(cli, ["list", "--modality", "smell"])
    assert res.exit_code == 2
