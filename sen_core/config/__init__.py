"""Config files: YAML with ``_base_`` inheritance and dotted overrides, resolved into a ``RunConfig``.

``load_run_config('sen/demo@1', ['model.depth=2'])`` reads a preset or a file, merges its bases
(maps merge, lists replace), applies the overrides and validates, reporting every problem at once
in a ``ConfigError``. See docs/configs.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sen_core.config._load import Layered, is_path_ref, locate, preset_source, read_layers
from sen_core.config._overrides import Override, parse_override, split_key
from sen_core.config._validate import validate_run
from sen_core.config._yaml import dump_yaml, load_yaml
from sen_core.errors import ConfigError, count

if TYPE_CHECKING:
    from sen_core.config.run_config import RunConfig

__all__ = [
    "Layered",
    "Override",
    "dump_yaml",
    "is_path_ref",
    "load_config_dict",
    "load_run_config",
    "load_yaml",
    "locate",
    "parse_override",
    "preset_source",
    "read_layers",
    "split_key",
]


def _raise(label: str, problems: list[str]) -> None:
    raise ConfigError(f"invalid config {label} ({count(len(problems))}):", problems)


def load_config_dict(
    path_or_preset: str, overrides: Iterable[Override] = (), *, catalogue: Any = None
) -> dict[str, Any]:
    """The merged data of a config (bases and overrides applied), not yet validated."""
    layered = read_layers(path_or_preset, overrides=overrides, catalogue=catalogue)
    if layered.problems:
        _raise(layered.label, layered.problems)
    return layered.data


def load_run_config(
    path_or_preset: str,
    overrides: Iterable[Override] = (),
    *,
    catalogue: Any = None,
    check_names: bool = True,
) -> RunConfig:
    """Read, merge, override and validate a run config; raise ConfigError listing every problem.

    ``overrides`` are ``"key.path=value"`` strings (the value is YAML) or ``(key.path, value)``
    pairs. ``check_names`` looks every component name up in the catalogue (nothing is built).
    """
    layered = read_layers(path_or_preset, overrides=list(overrides), catalogue=catalogue)
    if layered.problems and not layered.data:  # nothing was read: validating {} only adds noise
        _raise(layered.label, layered.problems)
    config, problems = validate_run(
        layered.data, layered.origins, layered.label, catalogue=catalogue, check_names=check_names
    )
    problems = layered.problems + problems
    if problems:
        _raise(layered.label, problems)
    assert config is not None
    return config
