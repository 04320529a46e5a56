"""``sen build CONFIG`` (the network a config builds, as tables) and ``sen graph CONFIG`` (a diagram).

Both read a run config (a YAML/JSON file or a preset name; the network is its ``model:``), build
the network through the catalogue and print ``describe_network(net)``. torch is imported inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sen_core.cli._output import print_json, print_table
from sen_core.errors import SenError


def load_network_spec(config: str, overrides: tuple[str, ...] = ()) -> Any:
    """The NetworkSpec under ``model:`` of CONFIG, with dotted key=value overrides applied."""
    bad = [o for o in overrides if "=" not in o or o.startswith("=")]
    if bad:
        raise SenError(f"override '{bad[0]}' must be key=value, e.g. model.depth=2")
    from sen_core.config import load_run_config

    return load_run_config(config, list(overrides)).model


def _build(config: str, overrides: tuple[str, ...]) -> dict[str, Any]:
    from sen_core.network import build_network, describe_network

    return describe_network(build_network(load_network_spec(config, overrides)))


def _n(n: int) -> str:
    return f"{n:,}"


@click.command("build")
@click.argument("config")
@click.argument("overrides", nargs=-1)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the description as JSON instead of tables."
)
def build_cmd(config: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Build the network of CONFIG (a YAML file or preset name) and print its graph.

    \b
    Shows the neurons (input, width, prompting), the block and its depth, the heads, and the
    trainable and frozen parameter counts. Every spec problem is reported at once.
      sen build sen/demo@1
      sen build my_run.yaml model.depth=1 model.block=sen/ra-gated@1
    """
    desc = _build(config, overrides)
    if as_json:
        print_json(desc)
        return
    rows = []
    for n in desc["neurons"]:
        role = "anchor" if n["anchor"] else ("state" if n["integrated"] else "text out")
        prompting = (
            n["prompting"]
            if n["prompted"]
            else ("-" if n["prompting"] == "none" else f"{n['prompting']} (off)")
        )
        rows.append(
            [
                n["key"],
                n["name"],
                n["input"],
                n["width"],
                prompting,
                role,
                n["trainable"],
                _n(n["parameters"]["frozen"] + n["parameters"]["trainable"]),
            ]
        )
    print_table(
        "neurons", ["key", "encoder", "input", "width", "prompts", "role", "trains", "params"], rows
    )
    b = desc["block"]
    print_table(
        "block",
        ["block", "depth", "weights", "width", "budget", "params"],
        [
            [
                b["name"],
                b["depth"],
                "shared" if b["share_weights"] else "per step",
                desc["width"],
                desc["token_budget"],
                _n(b["parameters"]["trainable"]),
            ]
        ],
    )
    if desc["heads"]:
        print_table(
            "heads",
            ["key", "head", "task", "weight", "params"],
            [
                [h["key"], h["name"], h["task"], h["weight"], _n(h["parameters"]["trainable"])]
                for h in desc["heads"]
            ],
        )
    p = desc["parameters"]
    click.echo(
        f"parameters: {_n(p['trainable'])} trainable, {_n(p['frozen'])} frozen "
        f"(distill_weight={desc['distill_weight']}, checkpointing={desc['checkpointing']}); "
        f"spec hash {desc['hash']}"
    )


@click.command("graph")
@click.argument("config")
@click.argument("overrides", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid flowchart or Graphviz dot.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the diagram to this file instead of standard output.",
)
def graph_cmd(config: str, overrides: tuple[str, ...], fmt: str, out: Path | None) -> None:
    """Write the diagram of the network CONFIG builds (neurons -> block -> heads, prompts dashed).

    \b
      sen graph sen/demo@1 --format mermaid --out demo.mmd
      sen graph my_run.yaml --format dot | dot -Tsvg > net.svg
    """
    from sen_core.network.describe import to_dot, to_mermaid

    desc = _build(config, overrides)
    text = to_mermaid(desc) if fmt == "mermaid" else to_dot(desc)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text)
    tmp.replace(out)
    click.echo(f"wrote {out} ({fmt})")


def register(cli: click.Group) -> None:
    cli.add_command(build_cmd)
    cli.add_command(graph_cmd)
