"""`sen config show`: the resolved YAML and its hash; malformed configs exit 2 with one message."""

import pytest
import yaml
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.config import load_run_config

RUN = """\
model:
  neurons: [{name: sen/efficientnet-lite0-imagenet@1, key: frames, input: frames}]
  anchor: frames
  depth: 2
"""


def _sen(*args):
    return CliRunner().invoke(cli, list(args))


def test_show_prints_resolved_yaml_and_hash(write):
    """The output is YAML (hash in a comment) equal to the validated RunConfig, overrides applied."""
    write("run.yaml", RUN)
    res = _sen("config", "show", "run.yaml", "model.depth=1", "train.lr=1e-4")
    assert res.exit_code == 0, res.output
    cfg = load_run_config("run.yaml", ["model.depth=1", "train.lr=1e-4"])
    assert f"# hash: {cfg.hash()}" in res.output.splitlines()[:2]
    assert yaml.safe_load(res.output) == cfg.model_dump(mode="json")


def test_show_json(write):
    """--json prints {hash, config}."""
    write("run.yaml", RUN)
    res = _sen("config", "show", "run.yaml", "--json")
    data = yaml.safe_load(res.output)
    assert data["hash"] == load_run_config("run.yaml").hash()
    assert data["config"]["model"]["depth"] == 2


@pytest.mark.parametrize(
    "files, args, expected",
    [
        (
            {"run.yaml": RUN + "  width: wide\n"},
            ["run.yaml"],
            "run.yaml: model.width: Input should be a valid integer",
        ),
        (
            {"run.yaml": RUN + "  dpeth: 1\n"},
            ["run.yaml"],
            "run.yaml: model.dpeth: unknown key 'dpeth'; did you mean 'depth'?",
        ),
        (
            {"run.yaml": RUN},
            ["run.yaml", "model.neurons.0.name=sen/efficientnet-lite0-imagenet@2"],
            "unknown encoder component 'sen/efficientnet-lite0-imagenet@2'; did you mean 'sen/efficientnet-lite0-imagenet@1'",
        ),
        (
            {"a.yaml": "_base_: b.yaml\n", "b.yaml": "_base_: a.yaml\n"},
            ["a.yaml"],
            "b.yaml: _base_ cycle: a.yaml -> b.yaml -> a.yaml",
        ),
        ({}, ["missing.yaml"], "missing.yaml: file not found"),
        (
            {"run.yaml": "_base_: nowhere.yaml\n" + RUN},
            ["run.yaml"],
            "run.yaml: _base_: file not found: nowhere.yaml",
        ),
        ({}, ["sen/dmeo@1"], "unknown preset component 'sen/dmeo@1'; did you mean 'sen/demo@1'"),
    ],
)
def test_malformed_configs_exit_2(write, files, args, expected):
    """Wrong type, unknown key, unknown component, _base_ cycle, missing file: message, exit 2, no traceback."""
    for name, text in files.items():
        write(name, text)
    res = _sen("config", "show", *args)
    assert res.exit_code == 2
    assert expected in res.output
    assert "Traceback" not in res.output
