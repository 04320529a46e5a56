"""Local weights for super neurons: read a checkpoint file safely and load it into a model.

Every neuron plugin loads user-supplied weights (``checkpoint=<file>``) through these two
functions: safetensors, or ``torch.load(weights_only=True)``; never arbitrary unpickling.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from sen_core.errors import CheckpointError

__all__ = [
    "SAFETENSORS_SUFFIXES",
    "TORCH_SUFFIXES",
    "LoadReport",
    "load_into",
    "load_state_dict_file",
    "unwrap_state_dict",
    "weights_fingerprint",
]

SAFETENSORS_SUFFIXES = (".safetensors",)
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
# Containers that training scripts commonly wrap a state dict in (timm, lightning, DDP scripts).
_CONTAINER_KEYS = ("state_dict", "model", "module", "model_state", "state_dict_ema", "model_ema")
_SHOW = 5  # keys named per category in an error message


def load_state_dict_file(path: str | Path) -> dict[str, Tensor]:
    """Read ``path`` into a flat ``{name: tensor}`` dict on the CPU.

    ``.safetensors`` is read with safetensors; ``.pt``/``.pth``/``.bin``/``.ckpt`` with
    ``torch.load(weights_only=True)``. A missing, truncated or corrupt file, or one that holds
    anything but tensors, raises ``CheckpointError`` naming the file.

    Args:
        path: a local weights file.

    Returns:
        ``{name: tensor}`` on the CPU.

    Raises:
        CheckpointError: missing, unreadable, corrupt, or not a tensor dict.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise CheckpointError(f"checkpoint file '{p}' does not exist (or is not a file)")
    suffix = p.suffix.lower()
    if suffix in SAFETENSORS_SUFFIXES:
        from safetensors.torch import load_file

        try:
            sd: object = load_file(str(p), device="cpu")
        except Exception as exc:  # SafetensorError, OSError, ... -- all mean "unreadable"
            raise CheckpointError(
                f"checkpoint '{p}' is not a readable safetensors file (truncated or corrupt?): {exc}"
            ) from exc
    elif suffix in TORCH_SUFFIXES:
        try:
            sd = torch.load(str(p), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise CheckpointError(
                f"checkpoint '{p}' holds objects other than tensors; SEN loads .pt/.pth/.bin files with "
                f"torch.load(weights_only=True) and never unpickles arbitrary objects: convert it to "
                f"safetensors or save a plain state_dict ({_first_line(exc)})"
            ) from exc
        except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
            raise CheckpointError(
                f"checkpoint '{p}' could not be read by torch.load (truncated or corrupt?): {_first_line(exc)}"
            ) from exc
    else:
        raise CheckpointError(
            f"checkpoint '{p}' has an unknown suffix '{p.suffix}'; expected one of "
            f"{', '.join(SAFETENSORS_SUFFIXES + TORCH_SUFFIXES)}"
        )
    return unwrap_state_dict(sd, source=str(p))


def unwrap_state_dict(obj: object, *, source: str = "checkpoint") -> dict[str, Tensor]:
    """Return the flat tensor dict inside ``obj`` (unwrapping ``{'state_dict': ...}``-style containers).

    Args:
        obj: what a checkpoint file held.
        source: the file, for messages.

    Returns:
        ``{name: tensor}``.

    Raises:
        CheckpointError: no tensor dict inside.
    """
    for _ in range(3):  # containers nest at most a couple of levels in practice
        if not isinstance(obj, Mapping):
            break
        if obj and all(isinstance(v, Tensor) for v in obj.values()):
            return dict(obj)
        inner = [k for k in _CONTAINER_KEYS if isinstance(obj.get(k), Mapping)]
        if not inner:
            break
        obj = obj[inner[0]]
    if isinstance(obj, Mapping) and not obj:
        raise CheckpointError(f"checkpoint '{source}' holds no tensors")
    what = type(obj).__name__
    if isinstance(obj, Mapping):
        what = "a mapping with keys " + ", ".join(repr(k) for k in list(obj)[:_SHOW])
    raise CheckpointError(
        f"checkpoint '{source}' does not hold a state dict of tensors (found {what}); expected "
        f"{{name: tensor}}, optionally under one of the keys {', '.join(_CONTAINER_KEYS)}"
    )


@dataclass
class LoadReport:
    """What ``load_into`` found; non-strict loads return the keys it skipped.

    Attributes:
        missing: model keys the state dict lacks; unexpected: state-dict keys the model lacks.
        mismatched: (key, checkpoint shape, model shape) of every shape mismatch.
    """

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def problems(self, strict: bool) -> list[str]:
        """One line per kind of mismatch (missing and unexpected keys only when ``strict``).

        Args:
            strict: whether missing and unexpected keys count as problems.

        Returns:
            The problem lines (empty: the load is fine).
        """
        out = []
        if strict and self.missing:
            out.append(_named(len(self.missing), "missing key", self.missing))
        if strict and self.unexpected:
            out.append(_named(len(self.unexpected), "unexpected key", self.unexpected))
        if self.mismatched:
            shown = [f"{k}: checkpoint {list(a)} vs model {list(b)}" for k, a, b in self.mismatched]
            out.append(_named(len(shown), "mis-shaped key", shown))
        return out


def load_into(
    model: nn.Module, state_dict: Mapping[str, Tensor], *, name: str, strict: bool = True
) -> LoadReport:
    """Copy ``state_dict`` into ``model``, or raise ``CheckpointError`` naming every mismatch.

    ``name`` (e.g. the neuron and the file) starts the message. Keys are compared by name and
    shape first, so the error lists missing, unexpected and mis-shaped keys (the first few of
    each, with counts) instead of torch's wall of text. ``strict=False`` tolerates missing and
    unexpected keys (reported in the returned ``LoadReport``) but never a shape mismatch.
    BatchNorm ``num_batches_tracked`` counters may be absent: eval never reads them.

    Args:
        model: the module to fill.
        state_dict: ``{name: tensor}`` (e.g. from ``load_state_dict_file``).
        name: starts the error message (e.g. the neuron and the file).
        strict: refuse missing and unexpected keys too.

    Returns:
        A ``LoadReport`` of what was skipped.

    Raises:
        CheckpointError: a shape mismatch, or (strict) missing / unexpected keys.
    """
    own = model.state_dict()
    report = LoadReport(
        missing=[k for k in own if k not in state_dict and not k.endswith("num_batches_tracked")],
        unexpected=[k for k in state_dict if k not in own],
    )
    report.mismatched = [
        (k, tuple(v.shape), tuple(own[k].shape))
        for k, v in state_dict.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    problems = report.problems(strict)
    if problems:
        raise CheckpointError(
            f"{name}: checkpoint does not match the model: " + "; ".join(problems)
        )
    usable = {k: v for k, v in state_dict.items() if k in own}
    model.load_state_dict(usable, strict=False)
    return report


def _named(count: int, what: str, items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    more = f", ... ({count - _SHOW} more)" if count > _SHOW else ""
    return f"{count} {what}{'s' if count != 1 else ''} ({shown}{more})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def weights_fingerprint(module: nn.Module) -> str:
    """sha256 over a module's state dict: every parameter and persistent buffer's name, dtype,
    shape and bytes, in order. Two modules with different weights (another seed, another
    checkpoint, a fine-tuned copy) get different fingerprints.

    Args:
        module: any module (its tensors may live on any device; they are copied to the CPU).

    Returns:
        A 64-character hex digest.
    """
    import hashlib

    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        t = t.detach()
        h.update(f"{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        if t.numel():
            # the raw bytes of any dtype (bf16 included): numpy sees them as uint8, no copy
            h.update(t.cpu().contiguous().reshape(-1).view(torch.uint8).numpy().data)
    return h.hexdigest()
