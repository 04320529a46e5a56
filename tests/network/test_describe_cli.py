"""describe_network(net), the Mermaid/dot diagrams, and the `sen build` / `sen graph` commands."""

from __future__ import annotations

import json

import pytest
import yaml
from _network_helpers import make_spec, toy_catalogue
from click.testing import CliRunner

from sen_core import catalogue as catalogue_module
from sen_core.cli import cli
from sen_core.network import build_network, describe_network, to_dot, to_mermaid


@pytest.fixture
def toy_cli(monkeypatch, tmp_path):
    """The CLI with the toy catalogue, and a config file holding the toy network under model:."""
    cat = toy_catalogue()
    monkeypatch.setattr(catalogue_module, "get_catalogue", lambda: cat)
    spec = make_spec(
        neurons=("vit", "vid", "caption"), heads=[{"name": "toy/retrieval@1", "key": "ret"}]
    )
    path = tmp_path / "run.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "toy", "model": spec.model_dump(mode="json", exclude_defaults=True)}
        )
    )
    return path


def test_describe(catalogue):
    """describe() lists neurons, block, heads and parameter counts that add up."""
    net = build_network(
        make_spec(
            neurons=("vit", "vid", "caption"), heads=[{"name": "toy/retrieval@1", "key": "ret"}]
        ),
        catalogue=catalogue,
    )
    d = describe_network(net)
    assert [(n["key"], n["prompted"], n["integrated"]) for n in d["neurons"]] == [
        ("vit", True, True),
        ("vid", False, True),
        ("caption", False, False),
    ]
    assert d["block"]["name"] == "sen/ra-cross@1" and d["block"]["depth"] == 2
    assert d["heads"][0]["task"] == "retrieval"
    p = d["parameters"]
    assert p["trainable"] + p["frozen"] == p["total"] == sum(x.numel() for x in net.parameters())
    assert p["frozen"] == sum(n["parameters"]["frozen"] for n in d["neurons"])
    assert json.loads(json.dumps(d)) == d  # plain data


def test_diagrams(catalogue):
    """Mermaid and dot name every neuron and head; prompt edges are dashed."""
    d = describe_network(build_network(make_spec(neurons=("vit", "vid")), catalogue=catalogue))
    mm, dot = to_mermaid(d), to_dot(d)
    assert mm.startswith("flowchart LR\n")
    assert "  block -.->|prompts| n_vit" in mm and "n_vid -->|integrate| block" in mm
    assert "block -.->|prompts| n_vid" not in mm
    assert dot.startswith("digraph sen {") and dot.rstrip().endswith("}")
    assert '  block -> n_vit [label="prompts", style=dashed];' in dot


def test_sen_build(toy_cli):
    """`sen build CONFIG` prints the neurons, the block and the parameter counts."""
    res = CliRunner().invoke(cli, ["build", str(toy_cli)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert (
        "toy/vit@1" in res.output
        and "sen/ra-cross@1" in res.output
        and "toy/retrieval@1" in res.output
    )
    assert "trainable," in res.output and "frozen" in res.output


def test_sen_build_json_with_override(toy_cli):
    """Overrides apply; --json prints describe()."""
    res = CliRunner().invoke(cli, ["build", str(toy_cli), "model.depth=1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["block"]["depth"] == 1


def test_sen_graph(toy_cli, tmp_path):
    """`sen graph --format dot --out FILE` writes the dot file; mermaid goes to stdout."""
    out = tmp_path / "g" / "net.dot"
    res = CliRunner().invoke(cli, ["graph", str(toy_cli), "--format", "dot", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("digraph sen {")
    res = CliRunner().invoke(cli, ["graph", str(toy_cli)])
    assert res.output.startswith("flowchart LR")


def test_sen_build_bad_config_exits_2(toy_cli):
    """A spec problem is one error message and exit status 2."""
    res = CliRunner().invoke(cli, ["build", str(toy_cli), "model.anchor=caption"])
    assert res.exit_code == 2
    assert (
        "model.anchor: 'caption' reads 'caption' (text); the anchor must be a visual neuron"
        in res.output
    )
