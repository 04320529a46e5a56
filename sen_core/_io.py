"""Atomic file writes (run directories, checkpoints, caches, reports): write a temporary sibling, fsync, then ``os.replace``.

A killed process leaves either the old file or the new one, never a half-written file that a
later step (resume, ``sen eval``) would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _tmp_path(path: Path) -> Path:
    # ``.<name>.<pid>.<random>.tmp``: the pid lets a later process tell a dead writer's leftover
    # from a live writer's file (``tmp_writer_gone``).
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    return Path(name)


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[Path], object], *, fsync: bool = True
) -> Path:
    """Call ``write(tmp_path)`` then move the result onto ``path`` in one step.

    Temporary names are unique per call, so concurrent writers of one path are safe (last one
    wins). ``fsync=False`` skips the flush for data that can be recomputed (cache entries).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        write(tmp)
        if fsync:
            with open(tmp, "rb+") as fh:  # flush file data before the rename makes it visible
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


_TMP_NAME = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def tmp_writer_gone(path: Path, *, max_age_s: float, now: float | None = None) -> bool:
    """Whether a temporary file of ``atomic_write`` was left by a writer that is gone: its pid
    (in the name) is no longer alive, or it is older than ``max_age_s`` (an unknown name, a pid
    reused by another process, a writer on another machine)."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    if age > max_age_s:
        return True
    m = _TMP_NAME.match(path.name)
    if m is None:
        return False
    try:
        os.kill(int(m.group(1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> Path:
    return atomic_write_text(
        path, json.dumps(data, indent=2, sort_keys=True, allow_nan=True) + "\n"
    )


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def loads_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` before parsing.

    The standard decoder recurses once per level and dies with ``RecursionError`` on a deep line;
    here every failure (syntax, encoding, depth) is a ``ValueError`` the caller can word.

    Args:
        text: the JSON text (bytes are decoded as UTF-8); max_depth: the deepest nesting allowed.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    depth = deepest = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if m.group() in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)
