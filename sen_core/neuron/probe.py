"""The build-time shape probe: a built neuron's output must match what it and its spec declare.

``shape_problem(neuron, spec, params)`` runs one tiny forward (one clip of two 32x32 frames, or
one short text; no gradients, every module in eval mode, the global RNG untouched) and compares
the tokens with the neuron's ``width`` and the spec's layout. Shapes are a property of the
architecture, so a configuration (neuron class, spec, params) that passed is not probed again in
the same process (a sweep or a test suite builds the same encoders many times). Both builders call it, so an encoder
declaring D=64 that returns 32 is one line naming it at build, not a LayerNorm error in training.
"""

from __future__ import annotations

from typing import Any

from sen_core.specs import EncoderSpec

__all__ = ["probe_input", "shape_problem"]

PROBE_FRAMES, PROBE_SIZE = 2, 32  # raw probe clip: (1, T, S, S, 3) uint8; neurons resize it
_PASSED: set[tuple[str, str, str]] = set()  # configurations whose probe passed in this process


def probe_input(neuron: Any, spec: EncoderSpec, params: dict[str, Any]) -> Any:
    """The raw probe input for ``neuron``: a uint8 (1, T, 32, 32, 3) clip or one text; None if none.

    Args:
        neuron: the built neuron; spec: its spec; params: the params it was built with.

    Returns:
        The input, or None for a modality without a probe (audio).
    """
    import torch

    if spec.modality == "text":
        return ["a probe"]
    if spec.modality not in ("image", "video"):
        return None
    t = PROBE_FRAMES
    if spec.modality == "video":
        t = int(params.get("num_frames") or spec.params.get("num_frames") or PROBE_FRAMES)
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (1, t, PROBE_SIZE, PROBE_SIZE, 3), generator=g, dtype=torch.uint8)


def _defaults(spec: EncoderSpec, params: dict[str, Any]) -> bool:
    """Whether ``params`` leave the spec's defaults as they are (``trainable`` aside)."""
    missing = object()
    return all(
        spec.params.get(k, missing) == v or (k == "checkpoint" and v is None)
        for k, v in params.items()
        if k != "trainable"
    )


def shape_problem(neuron: Any, spec: EncoderSpec, params: dict[str, Any]) -> str | None:
    """Why ``neuron``'s output disagrees with its width or its spec's layout, or None.

    Always checked: the output is ``Tokens`` of (B, N, neuron.width) for a batch of B, of the
    spec's layout kind, one frame per input frame for an image encoder. With the spec's default
    params also: the width, ``tokens_per_frame`` and ``grid`` the spec declares.

    Args:
        neuron: the built neuron; spec: its spec; params: the params it was built with.

    Returns:
        One line naming the encoder, what it declares and what it returned; None when it agrees
        (or has no probe input).
    """
    key = (type(neuron).__qualname__, spec.model_dump_json(), repr(sorted(params.items())))
    if key in _PASSED:
        return None
    problem = _probe(neuron, spec, params)
    if problem is None:
        _PASSED.add(key)
    return problem


def _probe(neuron: Any, spec: EncoderSpec, params: dict[str, Any]) -> str | None:
    import torch

    raw = probe_input(neuron, spec, params)
    if raw is None:
        return None
    where = f"encoder '{spec.name}'"
    modes = [(m, m.training) for m in neuron.modules()]
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            for m, _ in modes:
                m.training = False
            out = neuron(raw)
    except Exception as exc:  # noqa: BLE001 - a plugin's forward may raise anything; name it
        what = f"{len(raw)} text" if isinstance(raw, list) else f"a {tuple(raw.shape)} uint8 clip"
        return f"{where}: the shape probe ({what}) raised {type(exc).__name__}: {' '.join(str(exc).split())}"
    finally:
        for m, mode in modes:
            m.training = mode
    if not (hasattr(out, "x") and hasattr(out, "layout")):  # Tokens (not imported: no cycle)
        return f"{where}: forward returned {type(out).__name__}, expected Tokens"
    b, _, d = out.x.shape
    lay, decl = out.layout, spec.layout
    problems = []
    if b != 1:
        problems.append(f"batch {b} for a batch of 1")
    if d != neuron.width:
        problems.append(f"token width {d} but the neuron's width is {neuron.width}")
    elif _defaults(spec, params) and spec.width is not None and d != spec.width:
        problems.append(f"token width {d} but the spec declares width={spec.width}")
    if lay.kind != decl.kind:
        problems.append(f"a '{lay.kind}' layout but the spec declares '{decl.kind}'")
    if spec.modality == "image" and lay.kind == "frames" and lay.frames != raw.shape[1]:
        problems.append(f"{lay.frames} frames of tokens for {raw.shape[1]} input frames")
    if _defaults(spec, params) and lay.kind == decl.kind == "frames":
        if decl.tokens_per_frame is not None and lay.tokens_per_frame != decl.tokens_per_frame:
            problems.append(
                f"{lay.tokens_per_frame} tokens per frame but the spec declares "
                f"tokens_per_frame={decl.tokens_per_frame}"
            )
        if decl.grid is not None and lay.grid != tuple(decl.grid):
            problems.append(f"grid {lay.grid} but the spec declares grid={tuple(decl.grid)}")
    if not problems:
        return None
    return f"{where}: the shape probe got {tuple(out.x.shape)} tokens: {'; '.join(problems)}"
