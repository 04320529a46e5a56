"""``sen config show`` (a config resolved, with its hash) and ``sen cache info|clear`` (the feature cache)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from sen_core.cli._output import print_json, print_table

if TYPE_CHECKING:
    from sen_core.neuron.cache import FeatureCache


@click.group("config")
def config_group() -> None:
    """Resolve and inspect config files (YAML with _base_ inheritance and key=value overrides)."""


@config_group.command("show")
@click.argument("config")
@click.argument("overrides", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.option(
    "--no-check-names", is_flag=True, help="Do not look component names up in the catalogue."
)
def config_show(
    config: str, overrides: tuple[str, ...], as_json: bool, no_check_names: bool
) -> None:
    """Print CONFIG (a .yaml path or a preset name) fully resolved, and its hash.

    \b
    Examples:
      sen config show sen/demo@1
      sen config show my_run.yaml model.depth=2 train.lr=1e-4
      sen config show sen/demo@1 model.neurons.0.params.image_size=64
    Every problem is reported at once (file and key path); exit status 2 when any.
    """
    from sen_core.config import dump_yaml, load_run_config

    run = load_run_config(config, list(overrides), check_names=not no_check_names)
    data = run.model_dump(mode="json")
    if as_json:
        print_json({"hash": run.hash(), "config": data})
        return
    head = f"# {config}" + (" " + " ".join(overrides) if overrides else "")
    click.echo(f"{head}\n# hash: {run.hash()}\n{dump_yaml(data)}", nl=False)


@click.group("cache")
def cache_group() -> None:
    """The on-disk cache of prompt-free neuron features ($SEN_CACHE_DIR, default ~/.cache/sen/features)."""


def _cache(directory: str | None) -> FeatureCache:
    from sen_core.neuron.cache import FeatureCache

    return FeatureCache(directory)


@cache_group.command("info")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Cache location (default: $SEN_CACHE_DIR or ~/.cache/sen/features).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cache_info(directory: str | None, as_json: bool) -> None:
    """Entries, size and location of the feature cache, per neuron."""
    from sen_core.neuron.cache import format_size

    info = _cache(directory).info()
    if as_json:
        print_json(info)
        return
    click.echo(
        f"location: {info['location']}\nentries:  {info['entries']}\n"
        f"size:     {info['size']} (bound {format_size(info['max_bytes'])})\n"
        f"temp files: {info['tmp_found']} found, {info['tmp_removed']} removed (writer gone)"
    )
    if info["neurons"]:
        rows = [
            [nid, r.get("name", ""), r.get("key", ""), r["entries"], format_size(r["bytes"])]
            for nid, r in sorted(info["neurons"].items())
        ]
        print_table(None, ["neuron cache id", "encoder", "key", "entries", "size"], rows)


@cache_group.command("clear")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Cache location (default: $SEN_CACHE_DIR or ~/.cache/sen/features).",
)
def cache_clear(directory: str | None) -> None:
    """Delete every cached feature (they are recomputed when next needed)."""
    cache = _cache(directory)
    n = cache.clear()
    click.echo(f"removed {n} entries from {cache.root}")


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
    cli.add_command(cache_group)
