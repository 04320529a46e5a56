"""Input plumbing shared by neuron plugins: frame preprocessing, per-frame prompts, frame tokens,
text checks, prompt-token insertion and removal, and parameter checks. Imports torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sen_core.errors import ConfigError, InputError
from sen_core.neuron.base import Layout, Tokens, resize_frames, select_tokens, to_frames

__all__ = [
    "check_preprocessed_frames",
    "check_prompt_depth",
    "check_texts",
    "check_tokens_per_frame",
    "frame_tokens",
    "insert_tokens",
    "per_frame",
    "remove_tokens",
    "shallow_if_single",
    "video_to_frames",
]


def check_tokens_per_frame(value: Any, *, name: str) -> str | int:
    """Validate the ``tokens_per_frame`` param early: 'all', 'cls' or a positive int.

    Args:
        value: the param's value.
        name: the neuron's name, for messages.

    Returns:
        'all', 'cls' or the int.

    Raises:
        InputError: any other value.
    """
    if value in ("all", "cls"):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise InputError(
        f"{name}: tokens_per_frame must be 'all', 'cls' or a positive int, got {value!r}"
    )


def check_prompt_depth(value: Any, *, name: str, prompting: str = "tokens") -> bool:
    """``prompt_depth``: 'shallow' (one prompt set, slot depth 1) or 'deep' (one set per block).

    Args:
        value: the param's value.
        name: the neuron's name, for messages.
        prompting: the neuron's prompting ('deep' needs 'tokens').

    Returns:
        True for 'deep'.

    Raises:
        ConfigError: not 'shallow'/'deep', or 'deep' without token prompting.
    """
    if value not in ("shallow", "deep"):
        raise ConfigError(f"{name}: prompt_depth={value!r}; expected 'shallow' or 'deep'")
    if value == "deep" and prompting != "tokens":
        raise ConfigError(
            f"{name}: prompt_depth='deep' needs token prompting; this neuron takes {prompting}"
        )
    return bool(value == "deep")


def shallow_if_single(prompts: Tensor | None) -> Tensor | None:
    """(B, 1, M, D) -> (B, M, D): a one-layer 'deep' prompt is a shallow one.

    Args:
        prompts: None or prompts of any shape.

    Returns:
        ``prompts``, with a depth axis of 1 dropped.
    """
    if prompts is not None and prompts.ndim == 4 and prompts.shape[1] == 1:
        return prompts[:, 0]
    return prompts


def video_to_frames(
    raw: Any,
    *,
    size: int,
    mean: Any,
    std: Any,
    device: torch.device | None = None,
    name: str = "neuron",
) -> Tensor:
    """uint8 (B, T, H, W, 3) or float (B, T, 3, H, W) -> float (B, T, 3, size, size), normalised.

    Args:
        raw: the raw video (a tensor or array).
        size: output side S (shorter side resized to S, then centre crop).
        mean, std: per-channel normalisation (the encoder's preprocessing).
        device: where to resize (default: the input's device).
        name: the neuron's name, for messages.

    Returns:
        float (B, T, 3, S, S).

    Raises:
        InputError: not 5-D, not 3 channels, a bad dtype, or no clip / no frame.
    """
    frames = to_frames(raw, name=name)
    b, t = frames.shape[:2]
    if b == 0 or t == 0:
        raise InputError(
            f"{name}: video must hold at least one clip and one frame, got shape {tuple(frames.shape)}"
        )
    x = resize_frames(frames.to(device).flatten(0, 1), size, tuple(mean), tuple(std))
    return x.reshape(b, t, *x.shape[1:])


def per_frame(prompts: Tensor | None, frames: int) -> Tensor | None:
    """(B, ...) prompts -> (B*T, ...): every frame of a clip gets its clip's prompts.

    Args:
        prompts: None or (B, ...) prompts.
        frames: T.

    Returns:
        None or (B*T, ...), frame-major within each clip.
    """
    return None if prompts is None else prompts.repeat_interleave(frames, dim=0)


def frame_tokens(
    x: Tensor, b: int, t: int, *, special: int, grid: tuple[int, int] | None, mode: str | int
) -> Tokens:
    """(B*T, S, D) per-frame tokens -> Tokens (B, T*P, D) with a frames layout.

    Args:
        x: (B*T, S, D) tokens of each frame (special tokens first).
        b, t: B and T.
        special: leading special tokens per frame.
        grid: (h, w) of the patch tokens, or None.
        mode: ``tokens_per_frame``: 'all', 'cls' or a positive int P (pooled).

    Returns:
        ``Tokens`` with ``Layout('frames', frames=t, tokens_per_frame=P, ...)``.

    Raises:
        InputError: an unknown ``mode``.
    """
    tok, tpf, g, sp = select_tokens(x, special=special, grid=grid, mode=mode)
    layout = Layout(kind="frames", frames=t, tokens_per_frame=tpf, grid=g, special_tokens=sp)
    return Tokens(tok.reshape(b, t * tpf, tok.shape[-1]), layout)


def check_texts(raw: Any, *, name: str) -> list[str]:
    """A text neuron's input must be a non-empty list (or tuple) of strings, one per sample.

    Args:
        raw: the raw input.
        name: the neuron's name, for messages.

    Returns:
        The strings as a list.

    Raises:
        InputError: anything else (the message says what it got).
    """
    if isinstance(raw, (list, tuple)) and raw and all(isinstance(s, str) for s in raw):
        return list(raw)
    if not isinstance(raw, (list, tuple)):
        got = type(raw).__name__
    else:
        got = (
            "an empty list"
            if not raw
            else "a list holding " + ", ".join(sorted({type(s).__name__ for s in raw}))
        )
    raise InputError(
        f"{name}: text input must be a non-empty list of strings (one per sample), got {got}"
    )


def insert_tokens(x: Tensor, prompts: Tensor, at: int) -> Tensor:
    """(N, S, D) + (N, M, D) -> (N, S + M, D) with the prompts at positions ``at .. at+M``.

    Args:
        x: (N, S, D) token sequence.
        prompts: (N, M, D) prompt tokens (cast to ``x``'s dtype).
        at: insert position (e.g. 1: after CLS).

    Returns:
        (N, S + M, D).
    """
    return torch.cat([x[:, :at], prompts.to(x.dtype), x[:, at:]], dim=1)


def remove_tokens(x: Tensor, at: int, m: int) -> Tensor:
    """Drop positions ``at .. at+m`` from (N, S + m, D) (undoes ``insert_tokens``).

    Args:
        x: (N, S + m, D).
        at: where the prompts start.
        m: how many prompt tokens.

    Returns:
        (N, S, D).
    """
    return torch.cat([x[:, :at], x[:, at + m :]], dim=1)


def check_preprocessed_frames(inputs: Any, *, name: str) -> tuple[int, int]:
    """``encode`` input check shared by visual neurons: (B, T, 3, S, S) -> (B, T).

    Args:
        inputs: what ``encode`` received.
        name: the neuron's name, for messages.

    Returns:
        (B, T).

    Raises:
        InputError: not a 5-D tensor with 3 channels.
    """
    if not isinstance(inputs, Tensor) or inputs.ndim != 5 or inputs.shape[2] != 3:
        got = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
        raise InputError(f"{name}: encode() takes preprocessed frames (B, T, 3, S, S), got {got}")
    return int(inputs.shape[0]), int(inputs.shape[1])
