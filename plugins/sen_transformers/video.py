"""``transformers/videomae@1``: a VideoMAE encoder as a whole-clip neuron.

The clip (B, T, H, W, 3) is resampled to the model's ``num_frames`` (evenly spaced frames), resized
and normalised; tubelets of ``tubelet_size`` frames x patch x patch become tokens. VideoMAE has no
class token, so M prompt tokens go first (deep prompts replace them before every later layer).
Output: T' = num_frames / tubelet_size frames of h*w tokens each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from sen_core.errors import ConfigError, InputError
from sen_core.neuron import (
    Tokens,
    Trainable,
    check_prompt_depth,
    check_tokens_per_frame,
    frame_tokens,
    remove_tokens,
    shallow_if_single,
    video_to_frames,
)
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .loading import load_model, read_image_norm
from .prompting import HFPromptedNeuron

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["VIDEO_DEFAULTS", "HFVideoNeuron", "build_videomae"]

VIDEO_DEFAULTS: dict[str, Any] = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 512,
    "image_size": 224,
    "patch_size": 16,
    "num_frames": 8,
    "tubelet_size": 2,
}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def resample_frames(frames: Tensor, n: int) -> Tensor:
    """(B, T, ...) -> (B, n, ...) by picking evenly spaced frames (repeating when T < n)."""
    t = frames.shape[1]
    if t == n:
        return frames
    idx = torch.linspace(0, t - 1, n, device=frames.device).round().long()
    return frames.index_select(1, idx)


class HFVideoNeuron(HFPromptedNeuron):
    """VideoMAE: raw video -> (B, T'*P, D) tubelet tokens laid out as T' frames."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        model: PreTrainedModel,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        tokens_per_frame: str | int = "all",
        trainable: Trainable = "none",
        prompt_depth: str = "shallow",
        prompt_from: int = 0,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        self.tokens_per_frame = check_tokens_per_frame(tokens_per_frame, name=spec.name)
        deep = check_prompt_depth(prompt_depth, name=spec.name)
        cfg = model.config
        self.model = model
        self.image_size, self.patch = int(cfg.image_size), int(cfg.patch_size)
        self.num_frames, self.tubelet = int(cfg.num_frames), int(cfg.tubelet_size)
        self.mean, self.std = tuple(mean), tuple(std)
        self._setup_prompting(model, at=0, deep=deep, prompt_from=prompt_from)

    def preprocess(self, raw: Any) -> Tensor:
        dev = next(self.model.parameters()).device
        x = video_to_frames(
            raw, size=self.image_size, mean=self.mean, std=self.std, device=dev, name=self.name
        )
        return resample_frames(x, self.num_frames)  # (B, num_frames, 3, S, S)

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        want = (self.num_frames, 3, self.image_size, self.image_size)
        if not isinstance(inputs, Tensor) or inputs.ndim != 5 or tuple(inputs.shape[1:]) != want:
            got = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
            raise InputError(
                f"{self.name}: encode() takes preprocessed clips (B, {', '.join(map(str, want))}), "
                f"got {got}"
            )
        b = inputs.shape[0]
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        if self._late(inputs, prompts):  # prompts enter at layer prompt_from: split the forward
            return self.encode_suffix(self.encode_prefix(inputs), prompts)
        m = 0 if prompts is None else prompts.shape[-2]
        with self._hooks.applied(prompts):
            h = self.model(pixel_values=inputs).last_hidden_state  # (B, M + T'*h*w, D)
        h = remove_tokens(h, 0, m)
        t, g = self.num_frames // self.tubelet, self.image_size // self.patch
        per = h.reshape(b * t, g * g, h.shape[-1])  # tubelet-major token order: frames x grid
        return frame_tokens(per, b, t, special=0, grid=(g, g), mode=self.tokens_per_frame)


def build_videomae(spec: EncoderSpec, **params: Any) -> HFVideoNeuron:
    """Factory of ``transformers/videomae@1``."""
    from transformers import VideoMAEConfig, VideoMAEModel

    check_params(spec, params)
    path, config, image_size = (
        params.get("path"),
        dict(params.get("config") or {}),
        params.get("image_size"),
    )
    if path is None and image_size is not None:
        config.setdefault("image_size", int(image_size))
    model = load_model(
        VideoMAEModel,
        VideoMAEConfig,
        defaults=VIDEO_DEFAULTS,
        path=path,
        config=config,
        checkpoint=params.get("checkpoint"),
        name=spec.name,
    )
    if image_size is not None and int(image_size) != int(model.config.image_size):
        raise ConfigError(
            f"{spec.name}: image_size={image_size} but the saved model was trained at "
            f"{model.config.image_size} (VideoMAE's fixed sine position table cannot be resampled)"
        )
    mean, std = read_image_norm(path, IMAGENET_MEAN, IMAGENET_STD)
    return HFVideoNeuron(
        spec,
        model=model,
        mean=mean,
        std=std,
        tokens_per_frame=params.get("tokens_per_frame", "all"),
        trainable=params.get("trainable", "none"),
        prompt_depth=params.get("prompt_depth", "shallow"),
        prompt_from=params.get("prompt_from", 0),
    )
