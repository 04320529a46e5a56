"""The batch schema of docs/datasets.md as checks: what a dataset's ``collate`` must return.

``batch_problems(batch, b)`` lists every way a collated batch of ``b`` samples breaks the schema,
one line each with the field, what it should be and what it is; the dataset checks of the kit
report them all at once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMA", "batch_problems"]

# Batch schema keys (docs/datasets.md); a batch may carry any subset, plus private '_'-prefixed keys.
SCHEMA = (
    "video",
    "label",
    "class_names",
    "caption",
    "question",
    "query",
    "answer",
    "answers",
    "moments",
    "moments_seconds",
    "saliency",
    "duration",
    "tracks",
    "visible",
    "query_points",
    "fps",
    "id",
    "edit",
    # benchmark readers (sen_core.data.RecordDataset): official ids, views, per-clip saliency, masks
    "ids",
    "view",
    "query_mode",
    "track_index",
    "saliency_clips",
    "clip_length",
    "frame_mask",
    "point_mask",
    "clip_mask",
)
_TEXTS = ("caption", "question", "query", "answer")


def _desc(x: Any) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"{str(x.dtype).removeprefix('torch.')} {tuple(x.shape)}"
    if isinstance(x, list):
        return f"list of {len(x)}" + (f" {type(x[0]).__name__}" if x else "")
    return type(x).__name__


def _tensor(
    batch: dict[str, Any], key: str, dtypes: tuple[str, ...], shape: tuple[Any, ...]
) -> str | None:
    """Why ``batch[key]`` is not a tensor of one of ``dtypes`` with ``shape`` (None: any size)."""
    import torch

    x = batch[key]
    dims = ", ".join("*" if s is None else str(s) for s in shape)
    want = f"{' or '.join(dtypes)} tensor ({dims}{',' if len(shape) == 1 else ''})"
    ok = (
        isinstance(x, torch.Tensor)
        and str(x.dtype).removeprefix("torch.") in dtypes
        and x.ndim == len(shape)
        and all(s is None or s == n for s, n in zip(shape, x.shape, strict=True))
    )
    return None if ok else f"'{key}': expected {want}, got {_desc(x)}"


def batch_problems(batch: Any, b: int) -> list[str]:
    """Every way ``batch`` (collated from ``b`` samples) breaks the schema of docs/datasets.md.

    Args:
        batch: what ``collate`` returned.
        b: how many samples were collated.

    Returns:
        One line per problem (empty: the batch follows the schema).
    """
    import torch

    if not isinstance(batch, dict):
        return [f"the batch: expected a dict, got {_desc(batch)}"]
    out: list[str] = []
    unknown = sorted(k for k in batch if k not in SCHEMA and not str(k).startswith("_"))
    if unknown:
        out.append(f"keys outside the batch schema (docs/datasets.md): {unknown}")
    t = None
    if "video" in batch:
        out.append(_tensor(batch, "video", ("uint8",), (b, None, None, None, 3)) or "")
        if isinstance(batch["video"], torch.Tensor) and batch["video"].ndim == 5:
            t = int(batch["video"].shape[1])
    if "label" in batch:
        out.append(_tensor(batch, "label", ("int64",), (b,)) or "")
        names = batch.get("class_names")
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            got = "missing" if names is None else _desc(names)
            out.append(f"'class_names': expected a list of C strings with 'label', got {got}")
        elif isinstance(batch["label"], torch.Tensor) and batch["label"].numel():
            lo, hi = int(batch["label"].min()), int(batch["label"].max())
            if lo < 0 or hi >= len(names):
                out.append(
                    f"'label': expected class indices in [0, {len(names)}) (len(class_names)), "
                    f"got {lo}..{hi}"
                )
    for key in _TEXTS:
        v = batch.get(key)
        if key in batch and not (
            isinstance(v, list) and len(v) == b and all(isinstance(s, str) for s in v)
        ):
            out.append(f"'{key}': expected a list of {b} strings, got {_desc(v)}")
    for key in ("moments", "moments_seconds"):
        if key in batch:
            out += _moments(batch[key], key, b, fractions=key == "moments")
    if "saliency" in batch:
        out.append(_tensor(batch, "saliency", ("float32",), (b, t)) or "")
    if "duration" in batch:
        out.append(_tensor(batch, "duration", ("float64", "float32"), (b,)) or "")
    if "tracks" in batch:
        out.append(_tensor(batch, "tracks", ("float32",), (b, None, t, 2)) or "")
        q = batch["tracks"].shape[1] if isinstance(batch["tracks"], torch.Tensor) else None
        if "visible" in batch:
            out.append(_tensor(batch, "visible", ("bool",), (b, q, t)) or "")
        if "query_points" in batch:
            out.append(_tensor(batch, "query_points", ("float32",), (b, q, 3)) or "")
    if "fps" in batch and not isinstance(batch["fps"], float):
        out.append(_tensor(batch, "fps", ("float64", "float32"), (b,)) or "")
    return [p for p in out if p]


def _moments(value: Any, key: str, b: int, *, fractions: bool) -> list[str]:
    import torch

    if not (isinstance(value, list) and len(value) == b):
        return [f"'{key}': expected a list of {b} (K_i, 2) tensors, got {_desc(value)}"]
    out = []
    for i, m in enumerate(value):
        if not (
            isinstance(m, torch.Tensor)
            and m.is_floating_point()
            and m.ndim == 2
            and m.shape[1] == 2
        ):
            out.append(f"'{key}'[{i}]: expected a float (K_i, 2) tensor, got {_desc(m)}")
        elif m.numel() and not bool((m[:, 0] < m[:, 1]).all()):
            out.append(f"'{key}'[{i}]: expected start < end in every row, got {m.tolist()}")
        elif fractions and m.numel() and not bool(((m >= 0) & (m <= 1)).all()):
            out.append(f"'{key}'[{i}]: expected fractions of the clip in [0, 1], got {m.tolist()}")
    return out
