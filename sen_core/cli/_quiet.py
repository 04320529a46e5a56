"""What a CLI command prints besides its own output: one-line SEN warnings, no third-party noise.

Unless ``sen --verbose``: third-party progress bars (transformers "Loading weights", Hugging Face
hub downloads) are switched off, the loggers of timm, open_clip, transformers, diffusers and the
hub only pass errors, and Python warnings from libraries are dropped. SEN's own ``PluginWarning``
(a skipped plugin, other plugin versions) always prints, as one ``warning: ...`` line on stderr
without the source line Python's default formatting adds. Everything is restored on exit.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from sen_core.errors import PluginWarning

__all__ = ["cli_output"]

_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # read by huggingface_hub (and transformers) at import
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "DIFFUSERS_VERBOSITY": "error",
}
_LOGGERS = ("timm", "open_clip", "transformers", "diffusers", "huggingface_hub", "torch")


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """``warning: <message>`` for SEN's warnings; Python's format for others (only when verbose)."""
    if issubclass(category, PluginWarning):
        text = " ".join(str(message).split()).removeprefix("sen: ")
        click.echo(f"warning: {text}", err=True)
    else:
        click.echo(
            warnings.formatwarning(message, category, filename, lineno, line), err=True, nl=False
        )


def _silence_loaded_libraries() -> list[tuple[Any, str]]:
    """Progress bars of libraries imported before the command ran (env vars are read at import)."""
    undo: list[tuple[Any, str]] = []
    hub = sys.modules.get("huggingface_hub.utils")
    if hub is not None and not hub.are_progress_bars_disabled():
        hub.disable_progress_bars()
        undo.append((hub, "enable_progress_bars"))
    tlog = sys.modules.get("transformers.utils.logging")
    if tlog is not None and tlog.is_progress_bar_enabled():
        tlog.disable_progress_bar()
        undo.append((tlog, "enable_progress_bar"))
    return undo


_BAR_MODULES = ("huggingface_hub.utils", "transformers.utils.logging")


def _enable_bars_imported_during(loaded_before: set[str], old_env: dict[str, str | None]) -> None:
    """Re-enable the progress bars of libraries first imported during the command: they read
    HF_HUB_DISABLE_PROGRESS_BARS at import, while it was set, and would stay silent after it."""
    if old_env.get("HF_HUB_DISABLE_PROGRESS_BARS") is not None:
        return  # the user's own setting: leave it
    hub = sys.modules.get("huggingface_hub.utils")
    if (
        hub is not None
        and "huggingface_hub.utils" not in loaded_before
        and hub.are_progress_bars_disabled()
    ):
        # the hub copied the variable into module constants at import ("has priority" over its
        # own switch): put back "not set", the value it would have read without SEN
        for name in ("huggingface_hub.constants", "huggingface_hub.utils.tqdm"):
            module: Any = sys.modules.get(name)
            if getattr(module, "HF_HUB_DISABLE_PROGRESS_BARS", None) is True:
                module.HF_HUB_DISABLE_PROGRESS_BARS = None
        hub.enable_progress_bars()
    tlog = sys.modules.get("transformers.utils.logging")
    if (
        tlog is not None
        and "transformers.utils.logging" not in loaded_before
        and not tlog.is_progress_bar_enabled()
    ):
        tlog.enable_progress_bar()


@contextmanager
def cli_output(verbose: bool) -> Iterator[None]:
    """Run a command with SEN's warning format and, unless ``verbose``, third parties silenced.

    Args:
        verbose: leave third-party progress bars, logs and warnings as the libraries set them.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show
        if verbose:
            yield
            return
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", PluginWarning)  # inserted first: takes precedence
        old_env = {k: os.environ.get(k) for k in _ENV}
        for k, v in _ENV.items():
            os.environ.setdefault(k, v)
        levels = {name: logging.getLogger(name).level for name in _LOGGERS}
        for name in _LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        loaded_before = {m for m in _BAR_MODULES if m in sys.modules}
        undo = _silence_loaded_libraries()
        try:
            yield
        finally:
            for module, fn in undo:
                getattr(module, fn)()
            _enable_bars_imported_during(loaded_before, old_env)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
            for k, old in old_env.items():
                if old is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = old
