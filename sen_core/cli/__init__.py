"""The ``sen`` command line. Commands live in the ``_*.py`` files beside this one.

User errors (``SenError``, bad click usage) exit 2 with a one-line message; ``--debug`` shows the
traceback. SEN's warnings print as one ``warning: ...`` line; third-party progress bars, logs and
warnings are silenced unless ``--verbose`` (_quiet.py). Command modules import heavy libraries only inside their functions.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from sen_core._version import __version__
from sen_core.errors import SenError


class _SenGroup(click.Group):
    """Turns SenError into ``error: ...`` + exit 2 (a traceback only under --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        from sen_core.cli._quiet import cli_output

        try:
            with cli_output(bool(ctx.params.get("verbose"))):
                return super().invoke(ctx)
        except SenError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_SenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sen")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.option(
    "--verbose",
    is_flag=True,
    help="Show third-party progress bars, logs and warnings (silenced by default).",
)
def cli(debug: bool, verbose: bool) -> None:
    """SEN: compose pretrained encoders (super neurons) into Super Encoding Networks.

    \b
    Start here:
      sen list                 what is installed (encoders, blocks, heads, datasets, presets)
      sen show sen/ra-cross@1  one component in detail
      sen demo                 train and compare networks on synthetic video, report to runs/demo
    """


def _register_commands() -> None:
    from sen_core.cli import (
        _bench_cmds,
        _catalogue_cmds,
        _chat_cmds,
        _config_cmds,
        _data_cmds,
        _demo_cmds,
        _network_cmds,
        _neuron_cmds,
        _new_cmds,
        _sweep_cmds,
        _train_cmds,
    )

    for module in (
        _catalogue_cmds,
        _neuron_cmds,
        _network_cmds,
        _train_cmds,
        _config_cmds,
        _sweep_cmds,
        _demo_cmds,
        _bench_cmds,
        _data_cmds,
        _new_cmds,
        _chat_cmds,
    ):
        module.register(cli)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="sen", standalone_mode=True)
    except SenError as exc:  # raised before a command ran (e.g. while loading plugins)
        if "--debug" in (argv if argv is not None else sys.argv):
            raise
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
