"""The super-neuron runtime contract: ``Tokens``, ``PromptSlot`` and the ``SuperNeuron`` base.

A neuron turns raw input (video frames, strings, waveforms) into ``Tokens`` (B, N, D) and may accept
prompts from the RA blocks. Imports torch: only the builder and plugin factories import this file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, InputError
from sen_core.specs import (
    EncoderSpec,
    Trainable,  # re-exported (__all__): plugins type their neurons with it
)

TRAINABLE_MODES: tuple[str, ...] = get_args(Trainable)

__all__ = [
    "TRAINABLE_MODES",
    "Boundary",
    "Layout",
    "PromptSlot",
    "SuperNeuron",
    "Tokens",
    "Trainable",
    "build_neuron",
    "resize_frames",
    "select_tokens",
    "to_frames",
]


@dataclass(frozen=True)
class Layout:
    """How the N tokens of a ``Tokens`` are arranged.

    ``frames``: N = frames * tokens_per_frame, frame-major; within a frame the first
    ``special_tokens`` are special (e.g. CLS), the rest a ``grid`` (h, w) of patches when kept.
    ``sequence``: N text/audio tokens (frames=1). ``pooled``: one token per sample (or per frame).

    Attributes:
        kind: 'frames', 'sequence' or 'pooled'.
        frames: T (1 for sequences).
        tokens_per_frame: P, tokens of each frame (special tokens included).
        grid: (h, w) of the patch tokens of a frame, or None when they are not a kept grid.
        special_tokens: leading special tokens of each frame (CLS, distillation, registers).
    """

    kind: Literal["frames", "sequence", "pooled"]
    frames: int = 1
    tokens_per_frame: int = 1
    grid: tuple[int, int] | None = None
    special_tokens: int = 0

    @property
    def num_tokens(self) -> int:
        """N = frames * tokens_per_frame."""
        return self.frames * self.tokens_per_frame


@dataclass
class Tokens:
    """An encoder output: ``x`` (B, N, D), optional ``mask`` (B, N) with True = valid, ``layout``.

    Attributes:
        x: the tokens, (B, N, D) with N = ``layout.num_tokens``.
        layout: how the N tokens are arranged.
        mask: (B, N) bool, True for valid tokens (padded text); None when all are valid.

    Raises:
        InputError: ``x`` is not 3-D, N disagrees with the layout, or the mask's shape is not (B, N).
    """

    x: Tensor
    layout: Layout
    mask: Tensor | None = None

    def __post_init__(self) -> None:
        if self.x.ndim != 3:
            raise InputError(f"Tokens.x must be (B, N, D), got shape {tuple(self.x.shape)}")
        if self.x.shape[1] != self.layout.num_tokens:
            raise InputError(
                f"Tokens.x has {self.x.shape[1]} tokens but the layout declares "
                f"{self.layout.frames} x {self.layout.tokens_per_frame} = {self.layout.num_tokens}"
            )
        if self.mask is not None and tuple(self.mask.shape) != tuple(self.x.shape[:2]):
            raise InputError(
                f"Tokens.mask must be (B, N) = {tuple(self.x.shape[:2])}, got {tuple(self.mask.shape)}"
            )

    @property
    def shape(self) -> torch.Size:
        """``x.shape``: (B, N, D)."""
        return self.x.shape

    def pooled(self) -> Tensor:
        """Masked mean over tokens: (B, D)."""
        if self.mask is None:
            return self.x.mean(dim=1)
        m = self.mask.to(self.x.dtype).unsqueeze(-1)
        return (self.x * m).sum(1) / m.sum(1).clamp_min(1.0)

    def per_frame(self) -> Tensor:
        """(B, T, P, D) view for frame layouts."""
        b, _, d = self.x.shape
        return self.x.reshape(b, self.layout.frames, self.layout.tokens_per_frame, d)

    def spatial(self) -> Tensor:
        """(B, T, h, w, D): the patch grid of each frame (special tokens dropped)."""
        if self.layout.grid is None:
            raise InputError("these tokens carry no spatial grid (use tokens_per_frame='all')")
        h, w = self.layout.grid
        pf = self.per_frame()[:, :, self.layout.special_tokens :]
        return pf.reshape(pf.shape[0], pf.shape[1], h, w, pf.shape[-1])

    def detach(self) -> Tokens:
        """The same tokens cut from the autograd graph."""
        return replace(self, x=self.x.detach())


@dataclass
class Boundary:
    """Prompt-independent work of one encoding, stopped at the prompt boundary (``prompt_from``).

    ``output``: the prompt-free Tokens (step 0). ``hidden``: the activations entering the first
    prompted layer/stage, batch first (B, ...), with ``mask`` (B, L) for sequences; None when the
    neuron cannot split, and then ``inputs`` (the preprocessed input) is re-encoded whole.

    Attributes:
        output: the prompt-free Tokens.
        hidden: boundary activations (B, ...), or None.
        mask: (B, L) mask of ``hidden`` for sequences, or None.
        inputs: the preprocessed input (what ``encode`` takes), or None after a cache hit.
    """

    output: Tokens
    hidden: Tensor | None = None
    mask: Tensor | None = None
    inputs: Any = None

    def detach(self) -> Boundary:
        """The same boundary cut from the graph: backward of a prompted pass stops here."""
        return Boundary(
            output=self.output.detach(),
            hidden=None if self.hidden is None else self.hidden.detach(),
            mask=self.mask,
            inputs=self.inputs,
        )


@dataclass(frozen=True)
class PromptSlot:
    """What prompts a neuron accepts.

    ``tokens``: a tensor (B, M, dim) injected after the token embedding (shallow), or
    (B, depth, M, dim) with one set per transformer layer (deep, VPT-deep).
    ``film``: a tensor (B, 2 * sum(channels)): per-stage (scale, shift), applied as x * (1 + s) + b.
    With ``prompt_from`` > 0, ``depth`` counts the layers (and ``channels`` the stages) from the
    boundary on: earlier layers take no prompts.

    Attributes:
        kind: 'tokens' or 'film'.
        dim: width of a prompt token (tokens).
        depth: layers with their own prompt set (tokens; 1 = shallow).
        channels: channels of each FiLM stage (film).
    """

    kind: Literal["tokens", "film"]
    dim: int = 0
    depth: int = 1
    channels: tuple[int, ...] = ()

    @property
    def film_size(self) -> int:
        """Width of a FiLM prompt: 2 * sum(channels) (a scale and a shift per channel)."""
        return 2 * sum(self.channels)


class SuperNeuron(nn.Module):
    """Base class of every encoder wrapper.

    Subclasses implement ``preprocess`` (raw -> model input; no grad needed) and ``encode``
    (model input [+ prompts] -> Tokens), set ``width``, and return a ``PromptSlot`` from
    ``prompt_slot`` when they accept prompts. Frozen by default; ``trainable`` picks what trains.

    Neurons that can split at their prompt boundary (``prompt_from``: the first transformer layer
    taking prompt tokens, or the first FiLM stage) override ``prompt_boundaries`` (the allowed
    values), ``encode_prefix`` (prompt-free, once per forward) and ``encode_suffix`` (the layers
    from the boundary on, once per RA step). The defaults run the whole encoder.

    A factory is called ``factory(spec, trainable=..., **params)`` and always receives
    ``trainable`` (and ``checkpoint`` when the spec's params declare it), even when they are not
    in the spec's ``params``. It must pass ``trainable`` to this constructor, which stores it in
    ``self.trainable``; ``apply_trainable(model)`` reads it after the model is built. ``width``
    starts as ``spec.width`` (which may be None when it depends on params) and must be set to the
    built model's width: the conformance kit checks ``spec.width == width`` for every declared
    param set.

    Args:
        spec: the registered ``EncoderSpec`` (name, modality, prompting, layout).
        trainable: 'none' (default: frozen), 'prompts', 'norms' or 'all'.

    Raises:
        InputError: ``trainable`` is not one of ``TRAINABLE_MODES``.
    """

    prompt_from: int = 0
    _prompt_from_fixed: int | None = None  # set once by init_prompt_from
    _fingerprint: tuple[tuple[Any, ...], str] | None = None  # (tensor stamps, digest)
    # a suffix that needs the preprocessed inputs too (e.g. token ids to pool by) says so, and
    # the network preprocesses again when the boundary came from a cache
    suffix_reads_inputs: bool = False

    def __init__(self, spec: EncoderSpec, *, trainable: Trainable = "none") -> None:
        super().__init__()
        if trainable not in TRAINABLE_MODES:
            raise InputError(
                f"{spec.name}: trainable={trainable!r}; expected one of {TRAINABLE_MODES}"
            )
        self.spec = spec
        self.trainable = trainable
        self.width: int = spec.width or 0

    # ---- contract ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The spec's catalogue name."""
        return self.spec.name

    @property
    def modality(self) -> str:
        """The spec's modality ('video', 'image', 'text', 'audio', ...)."""
        return self.spec.modality

    @property
    def prompting(self) -> str:
        """The spec's prompting: 'tokens', 'film' or 'none'."""
        return self.spec.prompting

    def prompt_slot(self) -> PromptSlot | None:
        """What prompts this neuron takes (override it); None: it takes none.

        Returns:
            A ``PromptSlot`` of the spec's prompting kind, or None for prompting='none'.
        """
        return None

    def preprocess(self, raw: Any) -> Any:
        """Raw input -> model input (override it). Runs once per forward, even with K steps.

        Args:
            raw: uint8 (B, T, H, W, 3) or float (B, T, 3, H, W) video, or a list of B strings.

        Returns:
            Whatever ``encode`` takes (e.g. normalised (B, T, 3, S, S) frames, token ids + mask).

        Raises:
            InputError: malformed input (wrong rank, channels, dtype, not strings).
        """
        raise NotImplementedError

    def encode(self, inputs: Any, prompts: Tensor | None = None) -> Tokens:
        """Model input (+ prompts) -> Tokens (override it). Call ``check_prompts`` first.

        Args:
            inputs: what ``preprocess`` returned.
            prompts: None, or a tensor in the shape ``prompt_slot()`` declares.

        Returns:
            ``Tokens`` (B, N, width) with the layout the spec declares.

        Raises:
            InputError: prompts of the wrong shape, or prompts for prompting='none'.
        """
        raise NotImplementedError

    def forward(self, raw: Any, prompts: Tensor | None = None) -> Tokens:
        """``encode(preprocess(raw), prompts)``.

        Args:
            raw: see ``preprocess``.
            prompts: see ``encode``.

        Returns:
            The neuron's Tokens.
        """
        return self.encode(self.preprocess(raw), prompts)

    # ---- prompt boundary --------------------------------------------------------------------
    def prompt_boundaries(self) -> tuple[int, ...]:
        """The allowed ``prompt_from`` values; (0,) for a neuron that cannot split."""
        return (0,)

    @property
    def splits(self) -> bool:
        """Whether ``encode_prefix`` stops at a boundary (else the suffix is the whole encoder)."""
        return False

    def encode_prefix(self, inputs: Any) -> Boundary:
        """Prompt-free work: the boundary activations and the prompt-free output Tokens.

        Args:
            inputs: what ``preprocess`` returned.

        Returns:
            A ``Boundary`` (the default: the whole prompt-free encoding, inputs kept).
        """
        return Boundary(output=self.encode(inputs, None), inputs=inputs)

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        """The layers from the boundary on, prompted: equal to ``encode(inputs, prompts)``.

        Args:
            boundary: what ``encode_prefix`` returned.
            prompts: see ``encode``.

        Returns:
            The prompted Tokens.
        """
        return self.encode(boundary.inputs, prompts)

    def init_prompt_from(self, prompt_from: int) -> None:
        """Check ``prompt_from`` against ``prompt_boundaries()`` and keep it: call it once, in the
        constructor, before deriving anything from it (the prompt slot, hooks). The boundary is
        fixed at build: a second call with another value is refused (build a new neuron instead),
        since what was derived from the first would go stale.

        Args:
            prompt_from: the first layer (or stage) that takes prompts.

        Raises:
            ConfigError: not an int, not one of ``prompt_boundaries()``, or a change after build.
        """
        allowed = self.prompt_boundaries()
        if isinstance(prompt_from, bool) or not isinstance(prompt_from, int):
            raise ConfigError(
                f"{self.name}: prompt_from={prompt_from!r}; expected an int in {_span(allowed)}"
            )
        if prompt_from not in allowed:
            raise ConfigError(
                f"{self.name}: prompt_from={prompt_from} is not a prompt boundary of this "
                f"neuron; allowed: {_span(allowed)}"
            )
        fixed = self._prompt_from_fixed
        if fixed is not None and fixed != prompt_from:
            raise ConfigError(
                f"{self.name}: prompt_from is fixed at build ({fixed}); build a new neuron "
                f"with prompt_from={prompt_from} instead"
            )
        self._prompt_from_fixed = prompt_from
        self.prompt_from = prompt_from

    def weights_fingerprint(self) -> str:
        """A digest of this neuron's actual weights (``sen_core.neuron.weights.weights_fingerprint``):
        what its tokens depend on besides the input, part of its feature-cache id. Computed once
        and kept until a tensor changes (in place -- a checkpoint load, an optimizer step -- or
        moves to another device).

        Returns:
            A 64-character hex digest.
        """
        from sen_core.neuron.weights import weights_fingerprint

        stamp = tuple(
            (name, t.data_ptr(), t._version) for name, t in self.state_dict(keep_vars=True).items()
        )
        if self._fingerprint is None or self._fingerprint[0] != stamp:
            self._fingerprint = (stamp, weights_fingerprint(self))
        return self._fingerprint[1]

    # ---- helpers for subclasses -------------------------------------------------------------
    def check_prompts(self, prompts: Tensor | None, batch: int) -> Tensor | None:
        """Validate prompts against ``prompt_slot()``; call it first thing in ``encode``.

        Args:
            prompts: None, (B, M, dim) or (B, depth, M, dim) for tokens, (B, film_size) for FiLM.
            batch: B of the inputs.

        Returns:
            ``prompts`` unchanged (None stays None).

        Raises:
            InputError: prompts for a prompting='none' neuron, or of the wrong shape or batch.
        """
        if prompts is None:
            return None
        slot = self.prompt_slot()
        if slot is None:
            raise InputError(
                f"neuron '{self.name}' has prompting='none' and cannot take prompts; "
                "use a block that does not prompt it, or a promptable encoder"
            )
        if slot.kind == "tokens":
            ok = prompts.ndim in (3, 4) and prompts.shape[-1] == slot.dim
            if prompts.ndim == 4:
                ok = ok and prompts.shape[1] == slot.depth
            want = f"(B, M, {slot.dim}) or (B, {slot.depth}, M, {slot.dim})"
        else:
            ok = prompts.ndim == 2 and prompts.shape[-1] == slot.film_size
            want = f"(B, {slot.film_size})"
        if not ok or prompts.shape[0] != batch:
            raise InputError(
                f"neuron '{self.name}': prompts must be {want} with B={batch}, got {tuple(prompts.shape)}"
            )
        return prompts

    def apply_trainable(
        self, model: nn.Module, prompt_params: list[nn.Parameter] | None = None
    ) -> None:
        """Set requires_grad on ``model`` (the wrapped library model) for ``self.trainable``.

        Call it at the end of the constructor. 'none' freezes everything, 'prompts' trains only
        ``prompt_params``, 'norms' the normalisation layers (and prompt params), 'all' everything.

        Args:
            model: the wrapped model (or any module of this neuron).
            prompt_params: the neuron's own prompt parameters (learned prompt tokens), if any.
        """
        mode = self.trainable
        for p in model.parameters():
            p.requires_grad_(mode == "all")
        if mode == "norms":
            for m in model.modules():
                if isinstance(m, (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm)):
                    for p in m.parameters(recurse=False):
                        p.requires_grad_(True)
        for p in prompt_params or []:
            p.requires_grad_(mode != "none")

    @property
    def frozen(self) -> bool:
        """True for trainable 'none' or 'prompts' (the wrapped weights do not train)."""
        return self.trainable in ("none", "prompts")

    def train(self, mode: bool = True) -> SuperNeuron:
        """nn.Module.train, except that only trainable='all' leaves eval mode.

        Args:
            mode: True for training mode (ignored unless trainable='all').

        Returns:
            self.
        """
        # A frozen encoder stays in eval mode: no dropout, no BatchNorm statistics updates.
        super().train(mode and self.trainable == "all")
        return self


def _span(values: tuple[int, ...]) -> str:
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return ", ".join(str(v) for v in values)


# ---- input helpers shared by image/video neurons ----------------------------------------------
def to_frames(video: Any, *, name: str = "neuron") -> Tensor:
    """Raw frames -> float (B, T, 3, H, W) in [0, 1].

    Accepts uint8 (B, T, H, W, 3) or (B, T, 3, H, W), float in [0, 1] in either layout, and a single
    image/clip without the batch axis ((H, W, 3), (T, H, W, 3) are *not* guessed: pass B and T).

    Args:
        video: a tensor or array, 5-D.
        name: the neuron's name, for messages.

    Returns:
        float (B, T, 3, H, W) in [0, 1].

    Raises:
        InputError: not 5-D, not 3 channels, or neither uint8 nor floating point.
    """
    if not isinstance(video, Tensor):
        try:
            import numpy as np

            video = torch.from_numpy(np.asarray(video))
        except Exception as exc:  # pragma: no cover - exotic inputs
            raise InputError(
                f"{name}: video must be a tensor or array, got {type(video).__name__}"
            ) from exc
    if video.ndim != 5:
        raise InputError(
            f"{name}: video must be 5-D (B, T, H, W, 3) or (B, T, 3, H, W), got shape {tuple(video.shape)}"
        )
    if video.shape[-1] == 3 and video.shape[2] != 3:
        video = video.permute(0, 1, 4, 2, 3)
    elif video.shape[2] != 3:
        raise InputError(
            f"{name}: video must have 3 colour channels, got shape {tuple(video.shape)}"
        )
    frames: Tensor = video  # a tensor by now (``video`` may arrive as any array)
    if frames.dtype == torch.uint8:
        return frames.float() / 255.0
    if not frames.is_floating_point():
        raise InputError(f"{name}: video dtype must be uint8 or floating point, got {frames.dtype}")
    return frames


def resize_frames(
    frames: Tensor,
    size: int,
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
    crop: Literal["center", "squash"] = "center",
) -> Tensor:
    """(N, 3, H, W) in [0, 1] -> (N, 3, size, size) normalised; shorter side to ``size`` then centre crop.

    Args:
        frames: (N, 3, H, W) in [0, 1].
        size: output side S.
        mean, std: per-channel normalisation, or None for none.
        crop: 'center' (keep the aspect, crop) or 'squash' (resize both sides to S).

    Returns:
        (N, 3, S, S).
    """
    h, w = frames.shape[-2:]
    if (h, w) != (size, size):
        if crop == "center":
            scale = size / min(h, w)
            nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
            frames = F.interpolate(
                frames, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False
            )
            top, left = (nh - size) // 2, (nw - size) // 2
            frames = frames[..., top : top + size, left : left + size]
        else:
            frames = F.interpolate(
                frames, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
    if mean is not None and std is not None:
        m = frames.new_tensor(mean).view(1, 3, 1, 1)
        s = frames.new_tensor(std).view(1, 3, 1, 1)
        frames = (frames - m) / s
    return frames


def select_tokens(
    x: Tensor, *, special: int, grid: tuple[int, int] | None, mode: str | int
) -> tuple[Tensor, int, tuple[int, int] | None, int]:
    """Choose tokens per frame from (BT, S + h*w, D).

    ``mode``: 'all' keeps everything (grid kept), 'cls' keeps the first special token (or the mean
    when there is none), an int P pools the patch grid to P tokens (a square number pools 2-D).
    Args:
        x: (BT, S + h*w, D) tokens of each frame.
        special: S, the leading special tokens.
        grid: (h, w) of the patches, or None.
        mode: 'all', 'cls' or a positive int.

    Returns:
        (tokens, tokens_per_frame, grid or None, special tokens kept).

    Raises:
        InputError: an unknown ``mode``.
    """
    if mode == "all":
        return x, x.shape[1], grid, special
    if mode == "cls":
        tok = x[:, :1] if special > 0 else x.mean(1, keepdim=True)
        return tok, 1, None, 0
    if isinstance(mode, int) and mode >= 1:
        patches = x[:, special:]
        if grid is not None and math.isqrt(mode) ** 2 == mode:
            s = math.isqrt(mode)
            g = patches.transpose(1, 2).reshape(x.shape[0], x.shape[2], *grid)
            g = F.adaptive_avg_pool2d(g, s)
            return g.flatten(2).transpose(1, 2), mode, (s, s), 0
        pooled = F.adaptive_avg_pool1d(patches.transpose(1, 2), mode).transpose(1, 2)
        return pooled, mode, None, 0
    raise InputError(f"tokens_per_frame must be 'all', 'cls' or a positive int, got {mode!r}")


def build_neuron(name: str | EncoderSpec, **params: Any) -> SuperNeuron:
    """Build a neuron by catalogue name (or from a spec) with ``params`` over the spec's defaults.

    Args:
        name: a catalogue name (``acme/tinyconv@1``) or an ``EncoderSpec``.
        params: params over the spec's defaults (checked against its declared params first).

    Returns:
        The built ``SuperNeuron``.

    Raises:
        UnknownNameError: no such encoder.
        ConfigError: unknown or mistyped params, or the factory refused them.
        InputError: the factory returned something that is not a SuperNeuron.
        SpecError: its output disagrees with its width or its spec's layout (the shape probe
            of ``sen_core.neuron.probe``: one tiny forward at build).
    """
    from sen_core.catalogue import get_catalogue, import_ref
    from sen_core.errors import SpecError
    from sen_core.neuron.probe import shape_problem
    from sen_core.params import call_factory, check_params

    spec = get_catalogue().get(name, kind="encoder") if isinstance(name, str) else name
    check_params(spec, params)
    merged = {**spec.params, **params}
    neuron = call_factory(spec, import_ref(spec.factory), **merged)
    if not isinstance(neuron, SuperNeuron):
        raise InputError(
            f"factory {spec.factory} of '{spec.name}' returned {type(neuron).__name__}, not a SuperNeuron"
        )
    problem = shape_problem(neuron, spec, merged)
    if problem is not None:
        raise SpecError(problem)
    return neuron
