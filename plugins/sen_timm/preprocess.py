"""timm's own evaluation preprocessing for video frames: resize, centre crop, normalise.

``EvalTransform`` follows the model's data config (timm ``resolve_data_config``): the shorter side is
resized to ``floor(size / crop_pct)`` with the config's interpolation (bicubic for most models),
then the centre ``size x size`` is cropped (``crop_mode='squash'``: both sides resized, then cropped)
and normalised by the config's mean/std. Same steps as ``timm.data.create_transform`` on a PIL image,
done on tensors (antialiased), so a whole clip is one batched call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import InputError
from sen_core.neuron import to_frames

__all__ = ["EvalTransform"]

_MODES = {"bicubic": "bicubic", "bilinear": "bilinear", "nearest": "nearest"}


@dataclass(frozen=True)
class EvalTransform:
    """Resize + centre crop + normalise, with the numbers of a timm data config."""

    size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_pct: float = 0.875
    interpolation: str = "bicubic"
    crop_mode: str = "center"

    @classmethod
    def for_model(
        cls,
        model: nn.Module,
        size: int,
        mean: tuple[float, ...] | None = None,
        std: tuple[float, ...] | None = None,
    ) -> EvalTransform:
        """The model's data config at ``size`` pixels; ``mean``/``std`` override the config's."""
        from timm.data import resolve_data_config

        cfg = resolve_data_config({}, model=model)
        return cls(
            size=int(size),
            mean=tuple(mean or cfg["mean"]),
            std=tuple(std or cfg["std"]),
            crop_pct=float(cfg.get("crop_pct") or 1.0),
            interpolation=str(cfg.get("interpolation", "bicubic")),
            crop_mode=str(cfg.get("crop_mode", "center")),
        )

    def frames(self, frames: Tensor) -> Tensor:
        """(N, 3, H, W) in [0, 1] -> (N, 3, size, size) normalised."""
        # crop_pct > 1 would crop outside the image: never resize below the crop
        scale = max(self.size, math.floor(self.size / self.crop_pct))
        h, w = frames.shape[-2:]
        if self.crop_mode == "squash":
            target = (scale, scale)
        elif h <= w:  # torchvision Resize(int): the shorter side becomes ``scale``
            target = (scale, int(scale * w / h))
        else:
            target = (int(scale * h / w), scale)
        mode = _MODES.get(self.interpolation, "bilinear")
        if target != (h, w):
            frames = F.interpolate(
                frames,
                size=target,
                mode=mode,
                antialias=mode != "nearest",
                **({} if mode == "nearest" else {"align_corners": False}),
            )
            if mode == "bicubic":
                frames = frames.clamp(0.0, 1.0)  # as PIL's 8-bit bicubic result is
        th, tw = frames.shape[-2:]
        top, left = round((th - self.size) / 2.0), round((tw - self.size) / 2.0)
        frames = frames[..., top : top + self.size, left : left + self.size]
        m = frames.new_tensor(self.mean).view(1, 3, 1, 1)
        s = frames.new_tensor(self.std).view(1, 3, 1, 1)
        return (frames - m) / s

    def __call__(
        self, raw: Any, *, device: torch.device | None = None, name: str = "neuron"
    ) -> Tensor:
        """Raw video (B, T, H, W, 3) uint8 or (B, T, 3, H, W) float -> (B, T, 3, size, size)."""
        video = to_frames(raw, name=name)
        b, t = video.shape[:2]
        if b == 0 or t == 0:
            raise InputError(
                f"{name}: video must hold at least one clip and one frame, got shape "
                f"{tuple(video.shape)}"
            )
        x = self.frames(video.to(device).flatten(0, 1))
        return x.reshape(b, t, *x.shape[1:])
