"""Reading config files: locate a path or preset, follow ``_base_`` chains, merge the layers.

Produces the merged plain data plus the origin of every key (file or override) and every problem
met on the way (missing file, YAML syntax error, ``_base_`` cycle, unknown preset); validation
(``_validate.py``) then turns the data into a ``RunConfig``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sen_core.config._merge import Origins, delete_marker_problems, merge
from sen_core.config._overrides import Override, apply_overrides
from sen_core.config._yaml import load_yaml
from sen_core.errors import UnknownNameError

META_KEY = "_meta_"
BASE_KEY = "_base_"
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Source:
    """One config file: where it is, how to name it in messages, and (for presets) its kind."""

    path: Path
    label: str
    preset_kind: str | None = None

    @property
    def ident(self) -> str:
        return str(self.path.resolve())


@dataclass
class Layered:
    """Merged config data, where each key came from, and the problems found while reading."""

    data: dict[str, Any]
    origins: Origins
    label: str
    problems: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is inside it (shorter messages)."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def is_path_ref(ref: str) -> bool:
    """A reference ending in .yaml/.yml or naming an existing file is a path; else a preset name."""
    return ref.lower().endswith(_YAML_SUFFIXES) or os.path.isfile(ref)


def preset_source(name: str, catalogue: Any = None) -> Source:
    """The YAML file behind a registered preset (raises UnknownNameError with suggestions)."""
    from importlib import resources

    from sen_core.catalogue import get_catalogue

    spec = (catalogue or get_catalogue()).get(name, kind="preset")
    package, _, rel = spec.resource.partition(":")
    path = Path(str(resources.files(package).joinpath(rel)))
    return Source(path=path, label=spec.name, preset_kind=spec.preset_kind)


def locate(ref: str, relative_to: Path | None = None, catalogue: Any = None) -> Source:
    """Turn a ``_base_``/command-line reference into a Source (the file may not exist)."""
    if is_path_ref(ref):
        path = Path(os.path.expanduser(ref))
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return Source(path=path, label=display_path(path))
    return preset_source(ref, catalogue)


def read_layers(
    ref: str,
    *,
    overrides: Iterable[Override] = (),
    catalogue: Any = None,
    expect: tuple[str, ...] = ("run", "network"),
) -> Layered:
    """Read ``ref`` (path or preset name) with its ``_base_`` chain, then apply ``overrides``."""
    problems: list[str] = []
    try:
        top = locate(ref, None, catalogue)
    except UnknownNameError as exc:
        return Layered({}, {}, ref, [f"{ref}: {exc} (a config is a .yaml path or a preset name)"])
    if top.preset_kind is not None and top.preset_kind not in expect:
        problems.append(
            f"{top.label}: is a {top.preset_kind} preset, expected a {' or '.join(expect)} config"
            + ("; run it with 'sen sweep'" if top.preset_kind == "sweep" else "")
        )
    if not top.path.is_file():
        return Layered({}, {}, top.label, [f"{top.label}: file not found ({top.path})"])
    meta: dict[str, Any] = {}
    data, origins = _read(top, [], problems, catalogue, meta)
    problems += apply_overrides(data, overrides, origins)
    return Layered(data, origins, top.label, problems, meta, top.path)


def read_plain(source: Source, problems: list[str]) -> dict[str, Any] | None:
    """Parse one YAML file into a mapping, appending a problem when it cannot."""
    try:
        raw = load_yaml(source.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{source.label}: file not found ({source.path})")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(
            f"{source.label}: invalid YAML{where}: {getattr(exc, 'problem', None) or exc}"
        )
        return None
    except UnicodeDecodeError as exc:
        problems.append(
            f"{source.label}: is not UTF-8 text (byte {exc.start}: {exc.reason}); "
            "save the config as UTF-8"
        )
        return None
    except OSError as exc:
        problems.append(f"{source.label}: cannot read ({exc.strerror or exc})")
        return None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(
            f"{source.label}: the top level must be a mapping of keys, got {type(raw).__name__}"
        )
        return None
    return raw


def _read(
    source: Source, chain: list[Source], problems: list[str], catalogue: Any, meta: dict[str, Any]
) -> tuple[dict[str, Any], Origins]:
    """One file merged over its bases, with the origin of every key."""
    if source.ident in [s.ident for s in chain]:
        loop = " -> ".join(
            s.label for s in [*chain[[s.ident for s in chain].index(source.ident) :], source]
        )
        problems.append(f"{chain[-1].label}: _base_ cycle: {loop}")
        return {}, {}
    raw = read_plain(source, problems)
    if raw is None:
        return {}, {}
    own_meta = raw.get(META_KEY)
    if own_meta is not None and not isinstance(own_meta, dict):
        problems.append(
            f"{source.label}: {META_KEY} must be a mapping of keys, got {type(own_meta).__name__}"
        )
    elif not chain and own_meta:
        meta.update(own_meta)
    problems += [f"{source.label}: {p}" for p in delete_marker_problems(raw)]
    bases = raw.get(BASE_KEY) or []
    if isinstance(bases, str):
        bases = [bases]
    merged: dict[str, Any] = {}
    origins: Origins = {}
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        problems.append(
            f"{source.label}: _base_ must be a path or preset name, or a list of them; got {bases!r}"
        )
        bases = []
    for ref in bases:
        try:
            base = locate(ref, source.path.parent, catalogue)
        except UnknownNameError as exc:
            problems.append(f"{source.label}: _base_: {exc}")
            continue
        if not base.path.is_file() and base.preset_kind is None:
            problems.append(f"{source.label}: _base_: file not found: {base.label}")
            continue
        layer, layer_origins = _read(base, [*chain, source], problems, catalogue, meta)
        merged = merge(merged, layer, origin=layer_origins, origins=origins)
    own = {k: v for k, v in raw.items() if k not in (BASE_KEY, META_KEY)}
    return merge(merged, own, origin=source.label, origins=origins), origins
