"""Shared CLI output helpers: rich tables and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console


def console() -> Console:  # rich is imported lazily: it is not needed for --help
    import sys

    from rich.console import Console

    # piped output (CI logs, files) gets a wide fixed width instead of rich's 80-column default
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for i, c in enumerate(columns):
        # names stay on one line (they are copied into configs); long text columns wrap
        table.add_column(c, no_wrap=(i == 0), overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    console().print(table)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
