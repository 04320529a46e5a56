"""``transformers/vit@1`` and ``transformers/clip-vision@1``: HF ViT encoders as per-frame neurons.

Frames (B, T, 3, S, S) run as one (B*T) batch; M prompt tokens go in right after the class token
at the input of layer ``prompt_from`` (after CLIP's ``pre_layrnorm``; deep prompts replace them
before every later layer). Output: the
last hidden states per frame without the prompts -- for CLIP vision after ``post_layernorm``, so
the class token equals the model's pooled output -- laid out as T frames of 1 + h*w tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import Tensor, nn

from sen_core.neuron import (
    Tokens,
    Trainable,
    check_preprocessed_frames,
    check_prompt_depth,
    check_tokens_per_frame,
    frame_tokens,
    per_frame,
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

__all__ = ["VISION_DEFAULTS", "HFImageNeuron", "build_clip_vision", "build_vit"]

_SMALL = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 512,
}
VISION_DEFAULTS: dict[str, dict[str, Any]] = {
    "vit": {**_SMALL, "image_size": 224, "patch_size": 16},
    "clip-vision": {**_SMALL, "image_size": 224, "patch_size": 32},
}
IMAGE_NORM = {
    "vit": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),  # google/vit-* processors
    "clip-vision": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
}


class HFImageNeuron(HFPromptedNeuron):
    """A Hugging Face ViT-style image encoder: raw video -> (B, T*P, D) frame tokens."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        model: PreTrainedModel,
        image_size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        tokens_per_frame: str | int = "all",
        trainable: Trainable = "none",
        prompt_depth: str = "shallow",
        post_norm: nn.Module | None = None,
        prompt_from: int = 0,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        self.tokens_per_frame = check_tokens_per_frame(tokens_per_frame, name=spec.name)
        deep = check_prompt_depth(prompt_depth, name=spec.name)
        self.model = model
        self.image_size = int(image_size)
        self.mean, self.std = tuple(mean), tuple(std)
        self.patch = int(model.config.patch_size)
        # a model trained at another size resamples its position grid
        self.interpolate = self.image_size != int(model.config.image_size)
        self.post_norm = post_norm
        self._setup_prompting(model, at=1, deep=deep, prompt_from=prompt_from)

    def preprocess(self, raw: Any) -> Tensor:
        dev = next(self.model.parameters()).device
        return video_to_frames(
            raw, size=self.image_size, mean=self.mean, std=self.std, device=dev, name=self.name
        )

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = check_preprocessed_frames(inputs, name=self.name)
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        if self._late(inputs, prompts):  # prompts enter at layer prompt_from: split the forward
            return self.encode_suffix(self.encode_prefix(inputs), prompts)
        p = per_frame(prompts, t)
        m = 0 if p is None else p.shape[-2]
        x = inputs.flatten(0, 1)
        with self._hooks.applied(p):
            h = self.model(
                pixel_values=x, interpolate_pos_encoding=self.interpolate
            ).last_hidden_state
        h = remove_tokens(h, 1, m)  # (B*T, 1 + h*w, D)
        if self.post_norm is not None:
            h = self.post_norm(h)  # per token: the class token becomes CLIP's pooled output
        g = (x.shape[-2] // self.patch, x.shape[-1] // self.patch)
        return frame_tokens(h, b, t, special=1, grid=g, mode=self.tokens_per_frame)


def _build(
    spec: EncoderSpec,
    family: str,
    model_cls: type,
    config_cls: type,
    params: dict[str, Any],
    model_kwargs: dict[str, Any] | None = None,
) -> HFImageNeuron:
    check_params(spec, params)
    path, config, image_size = (
        params.get("path"),
        dict(params.get("config") or {}),
        params.get("image_size"),
    )
    if path is None and image_size is not None:
        config.setdefault("image_size", int(image_size))  # random weights: build at the wanted size
    model = load_model(
        model_cls,
        config_cls,
        defaults=VISION_DEFAULTS[family],
        path=path,
        config=config,
        checkpoint=params.get("checkpoint"),
        name=spec.name,
        model_kwargs=model_kwargs,
    )
    mean, std = read_image_norm(path, *IMAGE_NORM[family])
    return HFImageNeuron(
        spec,
        model=model,
        image_size=int(image_size or model.config.image_size),
        mean=mean,
        std=std,
        tokens_per_frame=params.get("tokens_per_frame", "all"),
        trainable=params.get("trainable", "none"),
        prompt_depth=params.get("prompt_depth", "shallow"),
        prompt_from=params.get("prompt_from", 0),
        post_norm=getattr(model, "post_layernorm", None),
    )


def build_vit(spec: EncoderSpec, **params: Any) -> HFImageNeuron:
    """Factory of ``transformers/vit@1``."""
    from transformers import ViTConfig, ViTModel

    return _build(spec, "vit", ViTModel, ViTConfig, params, {"add_pooling_layer": False})


def build_clip_vision(spec: EncoderSpec, **params: Any) -> HFImageNeuron:
    """Factory of ``transformers/clip-vision@1``."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    return _build(spec, "clip-vision", CLIPVisionModel, CLIPVisionConfig, params)
