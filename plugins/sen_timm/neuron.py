"""``TimmNeuron``: any timm image model as a super neuron (frames in, ``Tokens`` out, promptable).

Video (B, T, ...) is encoded as one batch of B*T frames. ViT-style models take prompt tokens
(shallow or VPT-deep), staged models take FiLM; weights come only from local files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sen_core.errors import ConfigError, InputError, UnknownNameError, suggest
from sen_core.neuron import (
    Boundary,
    PromptSlot,
    SuperNeuron,
    Tokens,
    Trainable,
    check_preprocessed_frames,
    frame_tokens,
    load_into,
    per_frame,
)
from sen_core.neuron.prompting.timm_models import FilmHooks, TokenPrompter
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .checkpoint import load_timm_checkpoint
from .layout import pooled_branches, sequence_layout
from .preprocess import EvalTransform
from .sizing import default_size, model_kwargs_for_size

__all__ = ["TimmNeuron", "build"]


def build(spec: EncoderSpec, **params: Any) -> TimmNeuron:
    """Factory of ``timm/<model>``: ``TimmNeuron(spec, **params)`` after checking the param names."""
    check_params(spec, params)
    return TimmNeuron(spec, **params)


def create_timm_model(spec_name: str, model: str, kwargs: Mapping[str, Any]) -> Any:
    """``timm.create_model`` without weights, turning timm's bare errors into SEN errors.

    Typed Any: timm annotates an ``nn.Module``, but ``num_features``, ``forward_features`` and
    ``forward_head`` are per-family attributes that no common base declares.
    """
    import timm
    from timm.models import is_model, split_model_name_tag

    if not is_model(split_model_name_tag(model)[0]):
        raise UnknownNameError(
            f"timm/{model}",
            "encoder",
            suggest(f"timm/{model}", [f"timm/{n}" for n in timm.list_models()]),
        )
    try:
        return timm.create_model(model, pretrained=False, **kwargs)
    except (TypeError, ValueError, AssertionError, RuntimeError) as exc:
        raise ConfigError(
            f"{spec_name}: timm could not build '{model}' with model_kwargs={dict(kwargs)}: {exc}"
        ) from exc


class TimmNeuron(SuperNeuron):
    """A timm image model wrapped to the runtime contract.

    ``forward(video, prompts=None) -> Tokens`` with x (B, T * P, D), P tokens per frame
    (``tokens_per_frame``: 'all' keeps prefix tokens + the patch/feature grid, 'cls' one token, an
    int pools the grid). Prompts: (B, M, D) tokens, (B, depth, M, D) deep tokens, or (B, 2*sum(C))
    FiLM, shared by the T frames of a clip. ``prompt_from`` is the first block taking prompt
    tokens (deep prompts then cover blocks prompt_from..depth-1) or the first FiLM stage.
    """

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        model: str | None = None,
        checkpoint: str | None = None,
        pretrained: bool = False,
        model_kwargs: Mapping[str, Any] | None = None,
        image_size: int | None = None,
        tokens_per_frame: str | int = "all",
        trainable: Trainable = "none",
        prompt_depth: str = "shallow",
        prompt_from: int = 0,
        state_dict: Mapping[str, Tensor] | None = None,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        model = model or spec.params.get("model")
        if not model:
            raise ConfigError(f"{spec.name}: param 'model' (a timm model name) is required")
        if pretrained and checkpoint is None and state_dict is None:
            raise ConfigError(
                f"{spec.name}: pretrained=True would download weights, which SEN never does; pass "
                "checkpoint=<local .safetensors/.pth file> (e.g. a timm model.safetensors fetched beforehand)"
            )
        if prompt_depth not in ("shallow", "deep"):
            raise ConfigError(
                f"{spec.name}: prompt_depth={prompt_depth!r}; expected 'shallow' or 'deep'"
            )
        if prompt_depth == "deep" and spec.prompting != "tokens":
            raise ConfigError(
                f"{spec.name}: prompt_depth='deep' needs token prompting; this neuron uses {spec.prompting}"
            )
        if not (
            tokens_per_frame in ("all", "cls")
            or (isinstance(tokens_per_frame, int) and tokens_per_frame >= 1)
        ):
            raise ConfigError(
                f"{spec.name}: tokens_per_frame={tokens_per_frame!r}; expected 'all', 'cls' or a positive int"
            )
        if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
            raise ConfigError(f"{spec.name}: image_size={image_size!r}; expected a positive int")

        # fixed-geometry models are built for image_size, or refused here (sen_timm.sizing)
        kwargs = model_kwargs_for_size(
            spec.name, model, model_kwargs or {}, image_size, default_size(spec, model)
        )
        net = create_timm_model(spec.name, model, kwargs)
        if checkpoint is not None:
            load_timm_checkpoint(net, checkpoint, name=spec.name)
        elif state_dict is not None:
            load_into(net, state_dict, name=spec.name)
        self.model = net.eval()
        self.model_name = model
        self.tokens_per_frame = tokens_per_frame
        self.prompt_depth = prompt_depth
        self.width = int(net.num_features)
        self.image_size, self.mean, self.std = self._preprocessing(spec, net, image_size, kwargs)
        self.transform = EvalTransform.for_model(net, self.image_size, self.mean, self.std)

        self._prompter: TokenPrompter | None = None
        self._film: FilmHooks | None = None
        if spec.prompting == "tokens":
            self._prompter = TokenPrompter(net)
        elif spec.prompting == "film":
            self._film = FilmHooks(net)
        self.init_prompt_from(prompt_from)
        if self._film is not None:
            self._film.first = prompt_from
        self.apply_trainable(net)
        self.train(False)

    @staticmethod
    def _preprocessing(
        spec: EncoderSpec, net: torch.nn.Module, image_size: int | None, kwargs: Mapping[str, Any]
    ) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
        from timm.data import resolve_model_data_config

        cfg = resolve_model_data_config(net)
        size = image_size or kwargs.get("img_size")
        if size is None and spec.preprocess.image_size is not None:
            size = spec.preprocess.image_size
        if size is None:
            size = cfg["input_size"][-1]
        if isinstance(size, (tuple, list)):
            size = size[-1]
        mean = spec.preprocess.mean or tuple(cfg["mean"])
        std = spec.preprocess.std or tuple(cfg["std"])
        return int(size), tuple(mean), tuple(std)

    # ---- contract ---------------------------------------------------------------------------
    def prompt_slot(self) -> PromptSlot | None:
        if self._prompter is not None:
            depth = self._prompter.depth - self.prompt_from if self.prompt_depth == "deep" else 1
            return PromptSlot(kind="tokens", dim=self.width, depth=depth)
        if self._film is not None:
            return PromptSlot(kind="film", channels=self._film.channels[self.prompt_from :])
        return None

    def prompt_boundaries(self) -> tuple[int, ...]:
        """Token prompts may enter before any block; FiLM may start at any stage."""
        if self._prompter is not None:
            return tuple(range(self._prompter.depth))
        if self._film is not None:
            return tuple(range(len(self._film.channels)))
        return (0,)

    @property
    def splits(self) -> bool:
        if self._prompter is not None:
            return self._prompter.splits
        return self._film is not None and self._film.splits

    def encode_prefix(self, inputs: Tensor) -> Boundary:
        """(B, T, 3, S, S) -> the activations entering the first prompted block/stage, batch first
        ((B, T, S, D) tokens or (B, T, C, h, w) maps), and the prompt-free Tokens."""
        if not self.splits:
            return super().encode_prefix(inputs)
        b, t = check_preprocessed_frames(inputs, name=self.name)
        flat = inputs.flatten(0, 1)
        if self._prompter is not None:
            h = self._prompter.prefix(flat, self.prompt_from)
        else:
            assert self._film is not None
            h = self._film.prefix(flat)
        hidden = h.reshape(b, t, *h.shape[1:])
        return Boundary(output=self._suffix_tokens(hidden, None), hidden=hidden)

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        """The blocks/stages from ``prompt_from`` on, prompted; equals ``encode(inputs, prompts)``."""
        if boundary.hidden is None:
            return super().encode_suffix(boundary, prompts)
        return self._suffix_tokens(boundary.hidden, prompts)

    def _suffix_tokens(self, hidden: Tensor, prompts: Tensor | None) -> Tokens:
        b, t = hidden.shape[:2]
        h, frame_prompts = hidden.flatten(0, 1), self._frame_prompts(prompts, b, t)
        if self._prompter is not None:
            feats = self._prompter.suffix(h, frame_prompts, self.prompt_from)
        else:
            assert self._film is not None
            feats = self._film.suffix(h, frame_prompts)
        x, special, grid = self._as_sequence(feats)
        return frame_tokens(x, b, t, special=special, grid=grid, mode=self.tokens_per_frame)

    def preprocess(self, raw: Any) -> Tensor:
        """Raw video (B, T, H, W, 3) uint8 or (B, T, 3, H, W) float -> (B, T, 3, S, S) normalised,
        as timm's own eval transform does it (sen_timm.preprocess: resize, centre crop, mean/std)."""
        p = next(self.model.parameters())
        frames = self.transform(raw, device=p.device, name=self.name)
        return frames.to(p.dtype)

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        """(B, T, 3, S, S) preprocessed frames [+ prompts] -> Tokens (B, T * P, D), frames layout."""
        b, t = check_preprocessed_frames(inputs, name=self.name)
        feats = self._forward_features(inputs.flatten(0, 1), self._frame_prompts(prompts, b, t))
        x, special, grid = self._as_sequence(feats)  # (B*T, S, D)
        return frame_tokens(x, b, t, special=special, grid=grid, mode=self.tokens_per_frame)

    def classify(self, raw: Any, prompts: Tensor | None = None) -> Tensor:
        """Class logits (B, T, K) from the model's own head (e.g. ImageNet for pretrained weights)."""
        frames = self.preprocess(raw)
        b, t = frames.shape[:2]
        feats = self._forward_features(frames.flatten(0, 1), self._frame_prompts(prompts, b, t))
        return self.model.forward_head(feats).reshape(b, t, -1)

    # ---- internals ----------------------------------------------------------------------------
    def _frame_prompts(self, prompts: Tensor | None, b: int, t: int) -> Tensor | None:
        """Validate (B, ...) prompts and repeat them for each of the T frames: (B*T, ...)."""
        prompts = self.check_prompts(prompts, b)
        if prompts is None:
            return None
        if prompts.ndim == 4 and self.prompt_depth == "shallow":
            prompts = prompts[:, 0]  # (B, 1, M, D) is a shallow set too
        elif prompts.ndim == 3 and self.prompt_depth == "deep":
            slot = self.prompt_slot()
            if slot is not None and slot.depth == 1:  # one block left: a shallow set is deep
                return per_frame(prompts, t)
            assert self._prompter is not None  # prompt_depth='deep' implies token prompting
            raise InputError(
                f"{self.name}: prompt_depth='deep' needs one prompt set per block from "
                f"prompt_from={self.prompt_from} on: (B, {self._prompter.depth - self.prompt_from}, "
                f"M, {self.width}), got {tuple(prompts.shape)}"
            )
        return per_frame(prompts, t)

    def _forward_features(self, x: Tensor, prompts: Tensor | None) -> Tensor:
        """(N, 3, S, S) -> the model's ``forward_features`` output, prompted when prompts are given."""
        if prompts is None:
            return self.model.forward_features(x)
        if self._prompter is not None:
            return self._prompter.forward(x, prompts, self.prompt_from)
        assert self._film is not None  # check_prompts refused prompts for prompting='none'
        with self._film.applied(prompts):
            return self.model.forward_features(x)

    def _as_sequence(self, feats: Tensor) -> tuple[Tensor, int, tuple[int, int] | None]:
        """forward_features output -> ((N, S, D) tokens, special tokens, patch grid or None)."""
        if isinstance(feats, (list, tuple)):  # multi-branch models: their own pooled token
            return pooled_branches(self.model, feats), 0, None
        if feats.ndim == 4:  # feature map: NCHW, or NHWC for channels-last models
            if feats.shape[1] == self.width and getattr(self.model, "output_fmt", "NCHW") != "NHWC":
                feats = feats.permute(0, 2, 3, 1)
            grid: tuple[int, int] | None = (int(feats.shape[1]), int(feats.shape[2]))
            return feats.flatten(1, 2), 0, grid
        if feats.ndim != 3:
            raise InputError(
                f"{self.name}: unexpected forward_features output {tuple(feats.shape)}"
            )
        # prefix tokens and grid as the model itself declares them (sen_timm.layout)
        special, grid = sequence_layout(
            self.model, int(feats.shape[1]), (self.image_size, self.image_size)
        )
        return feats, special, grid

    def extra_repr(self) -> str:
        return (
            f"model={self.model_name!r}, prompting={self.prompting!r}, width={self.width}, "
            f"image_size={self.image_size}, tokens_per_frame={self.tokens_per_frame!r}, trainable={self.trainable!r}"
        )
