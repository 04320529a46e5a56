"""Step 0 of a forward pass: the prompt-independent work, computed once and optionally cached.

Every neuron encodes its input without prompts; a prompted neuron that splits stops at its prompt
boundary (``Boundary``: the activations entering its first prompted layer plus the prompt-free
output) so the K prompted steps run only the layers after it. ``cached_features`` looks frozen
neurons' per-sample entries up in a ``FeatureCache`` (a pure store) and encodes only the misses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor

from sen_core.errors import InputError
from sen_core.neuron import Boundary, Layout, Tokens
from sen_core.neuron.cache import content_hash

if TYPE_CHECKING:
    from collections.abc import Iterator

    from torch.nn import Parameter

    from sen_core.network.spec import NetworkSpec
    from sen_core.neuron.cache import FeatureCache


class Step0Owner(Protocol):
    """What step 0 needs from a network (``SuperEncodingNetwork`` has it; so can a test double)."""

    spec: NetworkSpec

    def cacheable(self, key: str) -> bool: ...

    def neuron_cache_id(self, key: str) -> str | None: ...

    def encode_boundary(self, key: str, batch: dict[str, Any]) -> Boundary: ...

    def parameters(self) -> Iterator[Parameter]: ...


__all__ = ["Step0Owner", "batch_field", "cached_features"]

Entry = tuple[dict[str, Tensor], dict[str, str]]
Step0 = Tokens | Boundary

# image neurons reading 'frames' take the clip and encode each frame: the one frames -> video map
_BATCH_FIELD = {"frames": "video"}


def batch_field(source: str) -> str:
    """The batch field a neuron reading ``source`` takes."""
    return _BATCH_FIELD.get(source, source)


# ---- per-sample split / join of Tokens and boundaries -----------------------------------------
def _layout_meta(layout: Layout) -> str:
    return json.dumps(
        {
            "kind": layout.kind,
            "frames": layout.frames,
            "tokens_per_frame": layout.tokens_per_frame,
            "grid": list(layout.grid) if layout.grid else None,
            "special_tokens": layout.special_tokens,
        }
    )


def _trim(x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """Cut a masked sequence after its last valid token (entries are stored unpadded)."""
    if mask is None:
        return x, None
    valid = mask.nonzero()
    n = int(valid[-1]) + 1 if len(valid) else 0
    return x[:n], mask[:n]


def _split(item: Step0) -> list[Entry]:
    """One cache entry per sample: the prompt-free tokens (``x``, ``mask``) and, for a boundary,
    the boundary activations (``hidden``, ``hidden_mask``)."""
    tokens = item.output if isinstance(item, Boundary) else item
    out = []
    for i in range(tokens.x.shape[0]):
        mask = None if tokens.mask is None else tokens.mask[i]
        if tokens.layout.kind == "sequence":
            x, mask = _trim(tokens.x[i], mask)
        else:
            x = tokens.x[i]
        tensors = {"x": x} if mask is None else {"x": x, "mask": mask}
        if isinstance(item, Boundary) and item.hidden is not None:
            hm = None if item.mask is None else item.mask[i]
            h, hm = _trim(item.hidden[i], hm)
            tensors["hidden"] = h
            if hm is not None:
                tensors["hidden_mask"] = hm
        out.append((tensors, {"layout": _layout_meta(tokens.layout)}))
    return out


def _pad(rows: Sequence[Tensor], masks: Sequence[Tensor | None]) -> tuple[Tensor, Tensor | None]:
    """Stack per-sample rows; rows of different lengths are padded with zeros (mask False)."""
    lengths = [r.shape[0] for r in rows]
    n = max(lengths)
    x = rows[0].new_zeros((len(rows), n, *rows[0].shape[1:]))
    has_mask = any(m is not None for m in masks) or len(set(lengths)) > 1
    mask = torch.zeros((len(rows), n), dtype=torch.bool) if has_mask else None
    for i, r in enumerate(rows):
        x[i, : lengths[i]] = r
        if mask is not None:
            m = masks[i]
            mask[i, : lengths[i]] = True if m is None else m
    return x, mask


def _join(entries: Sequence[Entry], device: Any) -> Step0:
    """Stack per-sample entries back into (B, N, D) Tokens, or a Boundary when they hold one."""
    lay = json.loads(entries[0][1]["layout"])
    x, mask = _pad([e[0]["x"] for e in entries], [e[0].get("mask") for e in entries])
    if lay["kind"] == "sequence":
        lay["tokens_per_frame"], lay["frames"] = x.shape[1], 1
    lay["grid"] = tuple(lay["grid"]) if lay["grid"] else None
    tokens = Tokens(
        x=x.to(device), layout=Layout(**lay), mask=None if mask is None else mask.to(device)
    )
    if "hidden" not in entries[0][0]:
        return tokens
    h, hm = _pad([e[0]["hidden"] for e in entries], [e[0].get("hidden_mask") for e in entries])
    return Boundary(output=tokens, hidden=h.to(device), mask=None if hm is None else hm.to(device))


# ---- batch helpers -----------------------------------------------------------------------------
def _samples(batch: dict[str, Any], source: str) -> list[Any]:
    field = batch_field(source)
    if field not in batch:
        raise InputError(
            f"the batch has no '{field}' field, which a neuron reading '{source}' needs"
        )
    values = batch[field]
    return (
        list(values)
        if isinstance(values, (list, tuple))
        else [values[i] for i in range(len(values))]
    )


def _subset(batch: dict[str, Any], source: str, idx: list[int]) -> dict[str, Any]:
    """The batch restricted to samples ``idx`` (class names are per batch: ``idx`` indexes them)."""
    if source == "class_names":
        return {**batch, "class_names": [batch["class_names"][i] for i in idx]}
    size = len(_samples(batch, source))
    out: dict[str, Any] = {}
    for k, v in batch.items():
        if k == "class_names" or isinstance(v, (str, bytes, int, float)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and len(v) == size:
            out[k] = [v[i] for i in idx]
        elif hasattr(v, "shape") and getattr(v, "ndim", 0) >= 1 and v.shape[0] == size:
            out[k] = v[idx]
        else:
            out[k] = v
    return out


def _device_of(net: Any) -> Any:
    try:
        return next(net.parameters()).device
    except (AttributeError, StopIteration, TypeError):
        return "cpu"


# ---- the entry points --------------------------------------------------------------------------
def _plain(item: Step0) -> Step0:
    """A boundary that did not split carries only its output to the cache."""
    return item.output if isinstance(item, Boundary) and item.hidden is None else item


def cached_features(
    cache: FeatureCache | None,
    net: Step0Owner,
    batch: dict[str, Any],
    keys: Iterable[str] | None = None,
) -> dict[str, Step0]:
    """Step-0 results by neuron key for every cacheable neuron of ``net`` (or only ``keys``).

    A prompted neuron that splits gives a ``Boundary`` (boundary activations + prompt-free tokens),
    any other neuron its prompt-free ``Tokens``. Each sample is looked up by
    (``net.neuron_cache_id(key)``, which includes the boundary, content hash of that sample's
    input); the misses are encoded together with ``net.encode_boundary(key, sub_batch)`` and
    stored. Neurons whose weights train (``net.cacheable(key)`` False) are left out: the network
    encodes those itself. Text tokens come back padded to the longest sample with their mask.
    """
    wanted = set(keys) if keys is not None else None
    out: dict[str, Step0] = {}
    for entry in net.spec.neurons:
        key = entry.id
        if (wanted is not None and key not in wanted) or not net.cacheable(key):
            continue
        cid = net.neuron_cache_id(key)
        if cid is None:
            continue
        source = entry.input
        if cache is None:
            with torch.no_grad():
                out[key] = _plain(net.encode_boundary(key, batch))
            continue
        hashes = [content_hash(s, source) for s in _samples(batch, source)]
        cache.describe_neuron(cid, {"name": entry.name, "key": key})
        found: dict[str, Entry] = {}
        for h in dict.fromkeys(hashes):
            hit = cache.get(cid, h)
            if hit is not None:
                found[h] = hit
        missing = [h for h in dict.fromkeys(hashes) if h not in found]
        device = None
        if missing:
            idx = [hashes.index(h) for h in missing]
            with torch.no_grad():
                fresh = _plain(net.encode_boundary(key, _subset(batch, source, idx)))
            device = (fresh.output if isinstance(fresh, Boundary) else fresh).x.device
            for h, (tensors, meta) in zip(missing, _split(fresh), strict=True):
                cache.put(cid, h, tensors, {**meta, "neuron": cid})
                found[h] = ({k: v.cpu() for k, v in tensors.items()}, meta)
        if device is None:
            device = _device_of(net)
        out[key] = _join([found[h] for h in hashes], device)
    return out
