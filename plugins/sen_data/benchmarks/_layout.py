"""What the benchmark readers share: finding a layout's files, reading its json / csv, one-line errors.

Every failure is an ``InputError`` naming the file and the entry (row, index, id) and what was
expected, so a user pointed at the wrong folder or the wrong benchmark learns it in one line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sen_core.data import loads_json
from sen_core.errors import InputError


def find(root: Path, candidates: Iterable[str], what: str, *, is_dir: bool = False) -> Path:
    """The first of ``candidates`` (paths relative to ``root``) that exists, else an InputError."""
    tried = list(candidates)
    for rel in tried:
        path = root / rel
        if path.is_dir() if is_dir else path.is_file():
            return path
    raise InputError(f"{root}: no {what} (looked for {', '.join(tried)})")


def read_json(path: Path) -> Any:
    try:
        return loads_json(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def read_csv(path: Path, required: Sequence[str], *, delimiter: str = ",") -> list[dict[str, str]]:
    """The rows of a csv with a header holding every column of ``required`` (extra columns kept)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not UTF-8 csv text ({exc})") from None
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{path}: not a csv file ({exc})") from None
    if not rows:
        raise InputError(f"{path}: empty file; expected a header with {', '.join(required)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: header {','.join(header)!r} lacks column(s) {', '.join(missing)} "
            f"(expected {','.join(required)})"
        )
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"{path}: line {n}: {len(row)} fields, the header has {len(header)}")
        out.append(dict(zip(header, row, strict=True)))
    return out


def need(entry: Any, keys: Sequence[str], where: str) -> dict[str, Any]:
    """``entry`` as a dict holding every key of ``keys``, else an InputError naming ``where``."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected an object with {', '.join(keys)}; got {entry!r:.60}")
    missing = [k for k in keys if k not in entry]
    if missing:
        raise InputError(
            f"{where}: missing key(s) {', '.join(missing)} (has {', '.join(map(str, entry))})"
        )
    return entry


def need_list(data: Any, path: Path, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of {what}; got {type(data).__name__}")
    return data


def video_file(path: Path, where: str) -> Path:
    """``path`` if the file exists, else an InputError naming the entry that points at it."""
    if not path.is_file():
        raise InputError(f"{where}: video file {path} not found")
    return path
