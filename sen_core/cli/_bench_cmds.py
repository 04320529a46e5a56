"""``sen bench research``: the multi-seed research benchmark (see sen_core/app/research.py)."""

from __future__ import annotations

import shlex

import click


@click.group("bench")
def bench_group() -> None:
    """Benchmarks whose numbers go into the docs: `sen bench research`."""


@bench_group.command("research")
@click.argument("overrides", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    default="runs/research",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Sweep directory (resumable: a rerun skips finished trials).",
)
@click.option(
    "--sweep",
    default="sen/sweep-research@1",
    show_default=True,
    help="The benchmark sweep: sen/sweep-research@1 (shapes), sen/sweep-research-kubric@1 "
    "(kubric-lite, docs/results.md) or sen/sweep-research-chat@1 (video QA with the real LM).",
)
@click.option("-j", "--jobs", default=1, show_default=True, help="Trials at once (processes).")
@click.option(
    "--write",
    "write",
    default=None,
    type=click.Path(dir_okay=False),
    help="The report to write (a PNG of the same name goes beside it); 'none' to skip. "
    "Default: docs/results.md for sen/sweep-research-kubric@1, docs/results-shapes.md for "
    "sen/sweep-research@1, docs/results-chat.md for sen/sweep-research-chat@1.",
)
@click.option("--no-progress", is_flag=True, help="No progress display.")
def research_cmd(
    overrides: tuple[str, ...],
    out_dir: str,
    sweep: str,
    jobs: int,
    write: str | None,
    no_progress: bool,
) -> None:
    """Run sen/sweep-research@1 (single neuron, late fusion, RA K=0..3, every block variant,
    3 seeds, four shapes tasks) and write the report: mean ± std per network and each network's
    paired difference against RA K=0 with a 95% t-interval and a Holm-adjusted p-value.
    --sweep sen/sweep-research-kubric@1: kubric-lite, tracking on a 7x7 grid, 512 scored clips,
    5 seeds that change the data too (docs/results.md, which also embeds the other two pages).
    --sweep sen/sweep-research-chat@1: RA K=0 vs K=1 feeding the real SmolLM2, shapes video QA
    (exact match), 5 seeds (docs/results-chat.md).

    \b
    OVERRIDES (key=value) apply to every trial, e.g. train.steps=200:
      sen bench research --out runs/research -j 2
      sen bench research train.steps=300 data.params.num_samples=2048 --out runs/research-long
      sen bench research --sweep sen/sweep-research-kubric@1 --out runs/research-kubric -j 2
    """
    from sen_core.app.research import run_research
    from sen_core.app.research_pages import default_page

    page = default_page(sweep)
    parts = ["sen", "bench", "research", *overrides, "--out", out_dir, "-j", str(jobs)]
    if sweep != "sen/sweep-research@1":
        parts[3:3] = ["--sweep", sweep]
    if write is not None and write != page:
        parts += ["--write", write]
    write = write or page
    run_research(
        out_dir,
        overrides=list(overrides),
        sweep=sweep,
        jobs=jobs,
        write=None if write == "none" else write,
        command=shlex.join(parts),
        progress=not no_progress,
        echo=click.echo,
    )


def register(cli: click.Group) -> None:
    cli.add_command(bench_group)
