"""Deep merge of config layers, remembering which file set each key.

Maps merge key by key, lists (and scalars) replace, and a map carrying ``_delete_: true``
replaces the inherited map instead of merging into it (only the boolean ``true`` does; any other
value is reported by ``delete_marker_problems``). ``Origins`` maps key paths to the file
(or command-line override) that last set them, so validation errors can name the right file.
"""

from __future__ import annotations

from typing import Any

Path_ = tuple[Any, ...]
Origins = dict[Path_, str]

DELETE_KEY = "_delete_"


def strip_delete(value: Any) -> Any:
    """A copy of ``value`` with every ``_delete_`` marker removed."""
    if isinstance(value, dict):
        return {k: strip_delete(v) for k, v in value.items() if k != DELETE_KEY}
    if isinstance(value, list):
        return [strip_delete(v) for v in value]
    return value


def delete_marker_problems(value: Any, path: Path_ = ()) -> list[str]:
    """One message per ``_delete_`` marker that is not a boolean (``'no'`` must not mean true)."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == DELETE_KEY and not isinstance(v, bool):
                where = ".".join(str(p) for p in (*path, k))
                out.append(f"{where}: expected true or false, got {v!r}")
            else:
                out += delete_marker_problems(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += delete_marker_problems(v, (*path, i))
    return out


def record_origins(value: Any, origin: str | Origins, path: Path_, origins: Origins) -> None:
    """Mark ``path`` and everything below it as set by ``origin`` (a label, or a layer's own origins)."""
    origins[path] = origin if isinstance(origin, str) else origin_of(path, origin, "?")
    if isinstance(value, dict):
        for k, v in value.items():
            if k != DELETE_KEY:
                record_origins(v, origin, (*path, k), origins)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            record_origins(v, origin, (*path, i), origins)


def forget_below(path: Path_, origins: Origins) -> None:
    """Drop the origins of everything strictly below ``path`` (the value there was replaced)."""
    n = len(path)
    for p in [p for p in origins if len(p) > n and p[:n] == path]:
        del origins[p]


def merge(
    base: Any, over: Any, *, origin: str | Origins, origins: Origins, path: Path_ = ()
) -> Any:
    """``over`` laid on top of ``base`` (neither is modified); updates ``origins`` in place.

    ``origin`` names where ``over`` comes from: one label, or the origins of an already merged layer.
    """
    if isinstance(base, dict) and isinstance(over, dict) and over.get(DELETE_KEY) is not True:
        out = dict(base)
        for k, v in over.items():
            if k == DELETE_KEY:
                continue
            if k in out:
                out[k] = merge(out[k], v, origin=origin, origins=origins, path=(*path, k))
            else:
                out[k] = strip_delete(v)
                record_origins(v, origin, (*path, k), origins)
        return out
    forget_below(path, origins)
    record_origins(over, origin, path, origins)
    return strip_delete(over)


def origin_of(path: Path_, origins: Origins, default: str) -> str:
    """The origin of the longest prefix of ``path`` that has one."""
    for n in range(len(path), -1, -1):
        hit = origins.get(tuple(path[:n]))
        if hit is not None:
            return hit
    return default
