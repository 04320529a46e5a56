"""User-facing error types.

Every error a user can cause (bad config, unknown name, wrong shape, corrupt checkpoint, broken
plugin) is a ``SenError``: the CLI prints its message on one line and exits with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DuplicateNameError",
    "InputError",
    "PluginLoadError",
    "PluginWarning",
    "SenError",
    "SpecError",
    "UnknownNameError",
    "count",
    "suggest",
]


class SenError(Exception):
    """Base class for errors caused by user input; the CLI exits 2 on these without a traceback."""


class SpecError(SenError):
    """A component spec is invalid."""


class ConfigError(SenError):
    """A config file, a network spec or a component's params are invalid.

    Args:
        message: the headline (``"invalid config run.yaml (2 problems):"``) or the whole error.
        problems: every problem found, one line each (``"file: key.path: what was expected"``);
            one problem is printed on the headline's line, several as an indented list.

    Plugins raise it for bad params: ``raise ConfigError(f"{spec.name}: params.k: expected ...")``.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        if len(self.problems) == 1:
            message = f"{message} {self.problems[0]}"  # one problem: one line (the CLI's promise)
        elif self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class InputError(SenError, ValueError):
    """Runtime input (a tensor, a text batch, a file) has the wrong shape, dtype or content."""


class CheckpointError(SenError):
    """A checkpoint is missing, truncated, corrupt, or does not match the model."""


class PluginLoadError(SenError):
    """A plugin failed to import or to register (fatal only under SEN_STRICT_PLUGINS=1)."""


class PluginWarning(UserWarning):
    """A plugin was skipped (or a saved run names other plugin versions); the CLI prints one line."""


class DuplicateNameError(SenError):
    """Two registrations claim the same component name."""


def count(n: int, noun: str = "problem") -> str:
    """``'1 problem'``, ``'3 problems'``: the one place the "N problem(s)" headline is worded.

    Args:
        n: how many; noun: the singular noun.

    Returns:
        ``"{n} {noun}"`` with an ``s`` unless n is 1.
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Close matches for ``name`` among ``candidates`` (case-insensitive, best first).

    Args:
        name: what the user wrote.
        candidates: valid names (also matched on the part after the namespace).
        n: at most this many.

    Returns:
        Up to ``n`` candidates, best first (empty when nothing is close).
    """
    cands = list(candidates)
    lowered = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    # Also match on the part after the namespace, so "ra-cros" finds "sen/ra-cross@1".
    if len(hits) < n:
        short = {c.lower().split("/", 1)[-1].split("@")[0]: c for c in cands}
        for h in difflib.get_close_matches(
            name.lower().split("@")[0], list(short), n=n, cutoff=0.6
        ):
            if short[h].lower() not in hits:
                hits.append(short[h].lower())
    return [lowered[h] for h in hits[:n]]


class UnknownNameError(SenError, KeyError):
    """A component name is not in the catalogue; the message suggests close matches.

    Args:
        name: the unknown name.
        kind: 'encoder', 'block', ... (None: any kind).
        suggestions: close matches (``suggest``), named in the message.
        failed_plugins: plugins that failed to load and may provide the name.
    """

    def __init__(
        self,
        name: str,
        kind: str | None = None,
        suggestions: list[str] | None = None,
        failed_plugins: list[str] | None = None,
    ):
        self.name = name
        self.suggestions = suggestions or []
        self.failed_plugins = failed_plugins or []
        what = f"{kind} " if kind else ""
        msg = f"unknown {what}component '{name}'"
        if self.suggestions:
            msg += "; did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"
        else:
            msg += "; run 'sen list' to see what is registered"
        if self.failed_plugins:
            # the name may well come from a plugin that did not load: say so before any near miss
            msg += (
                f" ({', '.join(self.failed_plugins)} failed to load and may provide it; "
                "see 'sen plugins')"
            )
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])
