"""``sen sweep SWEEP.yaml`` (run or resume an ablation sweep) and ``sen sweep status DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sen_core.cli._output import print_json, print_table

if TYPE_CHECKING:
    from sen_core.neuron.cache import FeatureCache


class _SweepGroup(click.Group):
    """``sen sweep FILE ...`` means ``sen sweep run FILE ...``; ``sen sweep status DIR`` stays a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("sweep", cls=_SweepGroup)
def sweep_group() -> None:
    """Run ablation sweeps: `sen sweep SWEEP.yaml [-j N] [--backend local|ray] [--out DIR]`.

    \b
    Examples:
      sen sweep sen/sweep-depth@1 -j 2
      sen sweep my_sweep.yaml --out runs/sweeps/mine
      sen sweep status runs/sweeps/sweep-depth
    Rerunning the same command resumes: finished trials are skipped.
    """


@sweep_group.command("run")
@click.argument("sweep")
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=None,
    help="Trials at once (worker processes; 0 = in this process). Ray: 0 = no limit. "
    "Default 1 (ray: 0).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local worker processes, or Ray (cluster from $RAY_ADDRESS / --address, else a local Ray).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Sweep directory (default runs/sweeps/<name>).",
)
@click.option("--address", help="Ray cluster address (default $RAY_ADDRESS).")
@click.option(
    "--cpus-per-trial",
    type=float,
    default=1.0,
    show_default=True,
    help="Ray: CPUs reserved per trial.",
)
@click.option(
    "--gpus-per-trial",
    type=float,
    default=0.0,
    show_default=True,
    help="Ray: GPUs reserved per trial.",
)
@click.option(
    "--retry-failed/--skip-failed",
    default=True,
    show_default=True,
    help="On resume, rerun trials that failed before (or keep their failed rows).",
)
@click.option("--no-cache", is_flag=True, help="Do not use the feature cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Feature cache location (default $SEN_CACHE_DIR or ~/.cache/sen/features).",
)
@click.option(
    "--log",
    "log",
    metavar="NAMES",
    default=None,
    help="Experiment trackers for every trial, comma-separated: tensorboard, mlflow "
    "(MLflow: one parent run, a nested run per trial).",
)
@click.option("--dry-run", is_flag=True, help="List the trials and which are done; run nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No live progress display.")
def sweep_run(
    sweep: str,
    jobs: int | None,
    backend: str,
    out_dir: str | None,
    address: str | None,
    cpus_per_trial: float,
    gpus_per_trial: float,
    retry_failed: bool,
    no_cache: bool,
    cache_dir: str | None,
    dry_run: bool,
    quiet: bool,
    log: str | None,
) -> None:
    """Run or resume SWEEP (a .yaml file or a preset name such as sen/sweep-depth@1)."""
    from sen_core.sweep import load_sweep, plan_trials
    from sen_core.sweep.report import format_best
    from sen_core.sweep.runner import default_out_dir, run_sweep
    from sen_core.train.trackers import parse_loggers

    loggers = parse_loggers(log)
    loaded = load_sweep(sweep)
    if jobs is None:
        jobs = 0 if backend == "ray" else 1
    if dry_run:
        from sen_core.sweep._files import read_results

        trials = plan_trials(loaded)
        out = out_dir or default_out_dir(loaded.name)
        done = read_results(Path(out), [t.id for t in trials])
        rows = [
            [
                t.id,
                done.get(t.id, {}).get("status", "pending"),
                " ".join(f"{k}={v}" for k, v in t.axes.items()),
            ]
            for t in trials
        ]
        print_table(
            f"{loaded.name}: {len(trials)} trials -> {out}", ["trial", "status", "axes"], rows
        )
        return
    cache: FeatureCache | bool | None = None
    if no_cache:
        cache = False
    elif cache_dir:
        from sen_core.neuron.cache import FeatureCache

        cache = FeatureCache(cache_dir)
    summary = run_sweep(
        loaded,
        out_dir,
        jobs=jobs,
        backend=backend,
        retry_failed=retry_failed,
        progress=not quiet,
        cache=cache,
        ray_address=address,
        ray_resources={"cpus_per_trial": cpus_per_trial, "gpus_per_trial": gpus_per_trial},
        loggers=loggers,
    )
    click.echo(
        f"{summary['name']}: {summary['ok']} ok, {summary['failed']} failed, "
        f"{summary['pending']} pending of {summary['trials']} -> {summary['dir']}"
    )
    click.echo(f"best: {format_best(summary['best'])}")


@sweep_group.command("status")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sweep_status(directory: str, as_json: bool) -> None:
    """Summarise a running or finished sweep directory: done, failed, pending, best so far."""
    from pathlib import Path

    from sen_core.sweep.report import format_best, summarise

    s = summarise(Path(directory))
    if as_json:
        print_json(s)
        return
    rows = [
        ["name", s["name"]],
        ["state", s["state"]],
        ["trials", s["trials"]],
        ["ok", s["ok"]],
        ["failed", s["failed"]],
        ["pending", s["pending"]],
        ["running", s["running"]],
        ["best", format_best(s["best"])],
        ["results", str(Path(directory) / "results.md")],
    ]
    print_table(directory, ["field", "value"], rows)


def register(cli: click.Group) -> None:
    cli.add_command(sweep_group)
