"""Dotted command-line overrides: ``model.depth=2``, ``train.lr=1e-4``, ``model.neurons.0.params.image_size=64``.

The value is read with the config YAML rules (numbers, booleans, ``null``, ``[a, b]``, ``{k: v}``);
an integer path part indexes a list. Overrides are applied after every ``_base_`` is merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from sen_core.config._merge import Origins, forget_below, record_origins
from sen_core.config._yaml import load_yaml

Override = str | tuple[str, Any]


def parse_override(item: Override) -> tuple[str, Any, str]:
    """``'a.b=1'`` or ``('a.b', 1)`` -> (dotted key, value, how to name it in messages)."""
    if isinstance(item, tuple):
        key, value = item
        return key, value, f"override {key}={value!r}"
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"override '{item}' must look like key.path=value (e.g. model.depth=2)")
    try:
        value = load_yaml(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise ValueError(
            f"override '{item}': the value is not valid YAML ({getattr(exc, 'problem', None) or exc})"
        ) from None
    return key, value, f"override '{item}'"


def split_key(key: str) -> list[Any]:
    """``'model.neurons.0.params'`` -> ``['model', 'neurons', 0, 'params']``."""
    parts: list[Any] = []
    for p in key.split("."):
        if not p:
            raise ValueError(f"key '{key}' has an empty part")
        parts.append(int(p) if p.lstrip("-").isdigit() else p)
    return parts


def apply_overrides(
    data: dict[str, Any], overrides: Iterable[Override], origins: Origins
) -> list[str]:
    """Set each override in ``data`` (in place); return the problems (one string per bad override)."""
    problems: list[str] = []
    for item in overrides:
        try:
            key, value, label = parse_override(item)
            parts = split_key(key)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        problem = _set(data, parts, value)
        if problem:
            problems.append(f"{label}: {problem}")
            continue
        path = tuple(parts)
        forget_below(path, origins)
        record_origins(value, label, path, origins)
    return problems


def _set(data: Any, parts: list[Any], value: Any) -> str | None:
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(str(p) for p in parts[:i]) or "the config"
        if isinstance(node, list):
            if not isinstance(part, int):
                return f"'{where}' is a list; use an index such as {where}.0 instead of '{part}'"
            if not -len(node) <= part < len(node):
                return f"index {part} is out of range: '{where}' has {len(node)} item{'s' if len(node) != 1 else ''}"
        elif isinstance(node, dict):
            if isinstance(part, int) and part not in node:
                part = str(part)  # a digit-only map key
            if not last and part not in node:
                node[part] = {}  # create the path; validation reports keys the model lacks
        else:
            return f"'{where}' is a {type(node).__name__}, not a mapping or list"
        if last:
            node[part] = value
        else:
            node = node[part]
    return None
