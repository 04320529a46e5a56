"""On-disk cache of prompt-free (step-0) neuron features, shared by every trial and process.

Step 0 of a SEN forward pass encodes each input without prompts, so its tokens (and a prompted
neuron's boundary activations) depend only on the neuron (``net.neuron_cache_id(key)``: encoder
spec, params, preprocessing, prompt boundary) and the input content. This module is the store;
``sen_core.network.step0.cached_features`` looks samples up here and encodes only the misses.
One safetensors file per (neuron, sample),
written to a temporary name then renamed (concurrent writers are safe), evicted oldest-used first
when the cache grows past ``max_bytes``. Each entry carries a checksum of its whole content
(checked on every read: a damaged entry is a miss, deleted and rewritten); non-finite tensors are
never stored. Importing this module does not import torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sen_core._io import atomic_write, tmp_writer_gone
from sen_core.errors import SenError

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FeatureCache",
    "content_hash",
    "default_root",
    "format_size",
    "parse_size",
]

DEFAULT_MAX_BYTES = 20 * 2**30
SUFFIX = ".safetensors"
_NEURON_FILE = "neuron.json"
_STALE_TMP_S = 3600  # a temporary file this old belongs to a writer that died
_CHECKSUM_KEY = "sen_sha256"  # metadata key of an entry's content checksum
_RESCAN_EVERY = 512  # puts between size re-scans (other processes write too)


def default_root() -> Path:
    """``$SEN_CACHE_DIR``, else ``~/.cache/sen/features``."""
    env = os.environ.get("SEN_CACHE_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sen" / "features"


def parse_size(text: str | int) -> int:
    """``'20GB'``, ``'512M'``, ``'1e9'``, ``1000`` -> bytes."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([KMGT]?)(i?B)?\s*", str(text), re.I)
    if not m:
        raise SenError(f"cannot read size {text!r}; expected e.g. 20GB, 512MB or a number of bytes")
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " "))


def format_size(n: float) -> str:
    """Bytes as text: 1536 -> '1.5 KB'."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


class FeatureCache:
    """A directory of cached step-0 features: ``root/<neuron id>/<hh>/<input hash>.safetensors``.

    ``max_bytes`` bounds the total size (default ``$SEN_CACHE_MAX_BYTES`` or 20 GB); when a write
    pushes past it, the least recently used entries (by modification time, refreshed on every hit)
    are removed down to 90 % of the bound. Opening a cache removes the temporary files of writers
    that are gone (``tmp_found`` / ``tmp_removed`` count them). ``corrupt`` counts entries that
    failed their checksum, ``refused`` puts that held non-finite values. The object holds only
    paths and counters, so it pickles to worker processes.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        max_bytes: int | str | None = None,
        *,
        sweep: bool = True,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        if max_bytes is None:
            max_bytes = os.environ.get("SEN_CACHE_MAX_BYTES", "").strip() or DEFAULT_MAX_BYTES
        self.max_bytes = parse_size(max_bytes)
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        self.refused = 0
        self.tmp_found = 0
        self.tmp_removed = 0
        self._approx_bytes: int | None = None
        self._puts = 0
        if sweep:
            self.sweep_tmp()

    def __repr__(self) -> str:
        return f"FeatureCache({str(self.root)!r}, max_bytes={self.max_bytes})"

    def __getstate__(self) -> dict[str, Any]:
        return {"root": self.root, "max_bytes": self.max_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # the opening process already swept the temporary files: workers need not walk again
        # __init__ again rebuilds what is not pickled (locks, counters); mypy forbids the call
        self.__init__(state["root"], state["max_bytes"], sweep=False)  # type: ignore[misc]

    # ---- entries ----------------------------------------------------------------------------
    def path(self, neuron_id: str, input_hash: str) -> Path:
        return self.root / _safe(neuron_id) / input_hash[:2] / f"{input_hash}{SUFFIX}"

    def get(
        self, neuron_id: str, input_hash: str
    ) -> tuple[dict[str, Tensor], dict[str, str]] | None:
        """The tensors and metadata stored for this key, or None (counted as a miss).

        An entry whose checksum does not match its content (flipped bits, a foreign or older file)
        is a miss too: it is deleted, counted in ``corrupt``, and the caller's put rewrites it.
        """
        path = self.path(neuron_id, input_hash)
        try:
            # One read of the whole file: tensors and metadata come from the same version of it,
            # even while another process renames a new version into place.
            data = path.read_bytes()
            tensors, meta = _decode(data)
            os.utime(path)  # LRU: a hit makes the entry the most recently used
        except FileNotFoundError:  # never written, or evicted by another process meanwhile
            self.misses += 1
            return None
        except Exception:  # noqa: BLE001 - damaged or unreadable: drop it and recompute
            path.unlink(missing_ok=True)
            self.corrupt += 1
            self.misses += 1
            return None
        self.hits += 1
        return tensors, meta

    def put(
        self,
        neuron_id: str,
        input_hash: str,
        tensors: dict[str, Tensor],
        metadata: dict[str, str] | None = None,
    ) -> bool:
        """Store an entry atomically: a reader sees the whole file or none (last writer wins).

        Returns False (and counts ``refused``) without writing when a floating tensor holds NaN
        or inf: a diverged encoder must not poison every later trial that reads the entry.
        """
        import torch

        data = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        if any(v.is_floating_point() and not bool(torch.isfinite(v).all()) for v in data.values()):
            self.refused += 1
            return False
        blob = _encode(data, dict(metadata or {}))
        try:
            atomic_write(
                self.path(neuron_id, input_hash), lambda tmp: tmp.write_bytes(blob), fsync=False
            )
        except FileNotFoundError:  # our temporary file was swept (taken for a dead writer's)
            return False
        self._account(len(blob))
        return True

    def describe_neuron(self, neuron_id: str, info: dict[str, Any]) -> None:
        """Record what a neuron id stands for (shown by ``sen cache info``); written once."""
        target = self.root / _safe(neuron_id) / _NEURON_FILE
        if target.exists():
            return
        text = json.dumps({"id": neuron_id, **info}, sort_keys=True)
        atomic_write(target, lambda tmp: tmp.write_text(text), fsync=False)

    # ---- temporary files and size bound -----------------------------------------------------
    def sweep_tmp(self) -> tuple[int, int]:
        """Remove temporary files whose writer is gone (its pid is dead, or the file is older
        than an hour); returns (found, removed). A live writer's file is left alone."""
        found = removed = 0
        if self.root.is_dir():
            now = time.time()
            for dirpath, _, files in os.walk(self.root):
                for name in files:
                    if not name.endswith(".tmp"):
                        continue
                    found += 1
                    p = Path(dirpath, name)
                    if tmp_writer_gone(p, max_age_s=_STALE_TMP_S, now=now):
                        p.unlink(missing_ok=True)
                        removed += 1
        self.tmp_found += found
        self.tmp_removed += removed
        return found, removed

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        out: list[tuple[Path, os.stat_result]] = []
        if not self.root.is_dir():
            return out
        now = time.time()
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                p = Path(dirpath, name)
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                if name.endswith(SUFFIX):
                    out.append((p, st))
                elif name.endswith(".tmp") and tmp_writer_gone(p, max_age_s=_STALE_TMP_S, now=now):
                    p.unlink(missing_ok=True)
        return out

    def _account(self, size: int) -> None:
        self._puts += 1
        if self._approx_bytes is None or self._puts % _RESCAN_EVERY == 0:
            self._approx_bytes = sum(st.st_size for _, st in self._entries())
        else:
            self._approx_bytes += size
        if self._approx_bytes > self.max_bytes:
            self.evict()

    def evict(self, target_bytes: int | None = None) -> int:
        """Remove least recently used entries until the total is at most ``target_bytes``
        (default 90 % of ``max_bytes``); returns how many were removed."""
        target = int(self.max_bytes * 0.9) if target_bytes is None else target_bytes
        entries = sorted(self._entries(), key=lambda e: e[1].st_mtime)
        total = sum(st.st_size for _, st in entries)
        removed = 0
        for p, st in entries:
            if total <= target:
                break
            p.unlink(missing_ok=True)  # another process may have removed it already
            total -= st.st_size
            removed += 1
        self._approx_bytes = total
        return removed

    # ---- inspection -------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """Entries, bytes and location, overall and per neuron id."""
        per: dict[str, dict[str, Any]] = {}
        for p, st in self._entries():
            nid = p.parent.parent.name
            row = per.setdefault(nid, {"entries": 0, "bytes": 0})
            row["entries"] += 1
            row["bytes"] += st.st_size
        for nid, row in per.items():
            with contextlib.suppress(OSError, ValueError):
                row.update(
                    {
                        k: v
                        for k, v in json.loads((self.root / nid / _NEURON_FILE).read_text()).items()
                        if k in ("name", "key")
                    }
                )
        return {
            "location": str(self.root),
            "entries": sum(r["entries"] for r in per.values()),
            "bytes": sum(r["bytes"] for r in per.values()),
            "max_bytes": self.max_bytes,
            "size": format_size(sum(r["bytes"] for r in per.values())),
            # temporary files seen and removed when this cache was opened (writers that are gone)
            "tmp_found": self.tmp_found,
            "tmp_removed": self.tmp_removed,
            "neurons": per,
        }

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        import shutil

        n = len(self._entries())
        if self.root.is_dir():
            for child in self.root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        self._approx_bytes = 0
        return n


# ---- entry format: safetensors whose metadata holds a checksum of everything else ---------------
def _digest(header: dict[str, Any], payload: bytes) -> str:
    """sha256 of the header (tensor names, dtypes, shapes, offsets, metadata; checksum left out)
    in a canonical form, then of the tensor bytes."""
    header = dict(header)
    meta = {k: v for k, v in (header.pop("__metadata__", None) or {}).items() if k != _CHECKSUM_KEY}
    if meta:
        header["__metadata__"] = meta
    h = hashlib.sha256(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    h.update(payload)
    return h.hexdigest()


def _encode(tensors: dict[str, Tensor], metadata: dict[str, str]) -> bytes:
    """safetensors bytes with ``metadata[_CHECKSUM_KEY]`` set to the digest of the content."""
    from safetensors.torch import save

    raw = save(tensors, metadata={k: v for k, v in metadata.items() if k != _CHECKSUM_KEY})
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    payload = raw[8 + n :]
    digest = _digest(header, payload)
    header["__metadata__"] = {**(header.get("__metadata__") or {}), _CHECKSUM_KEY: digest}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors keeps the tensor data 8-byte aligned
    return len(text).to_bytes(8, "little") + text + payload


def _decode(data: bytes) -> tuple[dict[str, Tensor], dict[str, str]]:
    """Checked entry bytes -> (tensors, metadata); ValueError when the checksum is missing or
    does not match. The header is 8 bytes of length, then JSON, then the tensor bytes."""
    from safetensors.torch import load

    n = int.from_bytes(data[:8], "little")
    if not 0 < n <= len(data) - 8:
        raise ValueError("bad header length")
    header = json.loads(data[8 : 8 + n])
    meta = dict(header.get("__metadata__") or {})
    stored = meta.pop(_CHECKSUM_KEY, None)
    if stored is None or stored != _digest(header, data[8 + n :]):
        raise ValueError("checksum mismatch")
    return load(data), meta


def _safe(neuron_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", neuron_id)[:80] or "_"


# ---- content hashing ---------------------------------------------------------------------------
def content_hash(item: Any, source: str = "") -> str:
    """A stable hash of one input sample: a tensor/array (dtype, shape, bytes) or a string."""
    h = hashlib.sha256(source.encode() + b"\0")
    if isinstance(item, str):
        h.update(b"str\0" + item.encode("utf-8"))
    else:
        import numpy as np

        arr = (
            item.detach().cpu().contiguous().numpy()
            if hasattr(item, "detach")
            else np.ascontiguousarray(item)
        )
        h.update(f"{arr.dtype.str}{arr.shape}\0".encode())
        h.update(np.ascontiguousarray(arr).data)  # the raw bytes, no copy
    return h.hexdigest()[:40]
