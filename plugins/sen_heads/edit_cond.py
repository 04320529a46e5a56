"""Video-editing conditioning head ``sen/edit-cond@1``: per-frame tokens for a diffusion UNet.

For every frame, M learned queries cross-attend to that frame's anchor tokens and to the video
state, giving (B*T, M, cross_attention_dim) tokens that a diffusers ``UNet2DConditionModel``
reads through its cross-attention. The training signal is one denoising step: noise-prediction
MSE on the frames (pixels, or latents when a VAE is given) with a ``DDPMScheduler``.
Requires the optional extra ``sen[edit]`` (diffusers), imported only when the head is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, SenError
from sen_core.network import Head, Meter, NetworkOutput
from sen_core.neuron import to_frames
from sen_core.specs import HeadSpec

from ._common import (
    AnchorProjection,
    anchor_frames,
    attn_heads,
    head_params,
    need_batch,
    time_embedding,
)
from ._defaults import PARAMS
from .metrics_editing import DenoiseMeter

DEFAULTS = PARAMS["sen/edit-cond@1"]


def _diffusers(head: str) -> Any:
    try:
        import diffusers
    except ImportError as exc:
        raise SenError(
            f"head '{head}' needs diffusers, which is not installed: pip install sen[edit]"
        ) from exc
    return diffusers


def _load(cls: Any, head: str, key: str, path: str | None, config: dict[str, Any] | None) -> Any:
    if path is not None:
        if not Path(path).is_dir():
            raise ConfigError(f"head '{head}': params.{key}_path '{path}' is not a directory")
        return cls.from_pretrained(path, local_files_only=True)
    return cls(**config) if config is not None else None


class FrameConditioner(nn.Module):
    """(anchor frame tokens, state) -> (B*T, M, X) conditioning tokens, one set per video frame."""

    def __init__(self, width: int, cross_dim: int, tokens: int, anchor_width: int | None) -> None:
        super().__init__()
        self.proj = AnchorProjection(anchor_width, width)
        self.queries = nn.Parameter(torch.randn(tokens, width) * 0.02)
        self.norm_kv = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, attn_heads(width), batch_first=True)
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, cross_dim))

    def forward(self, out: NetworkOutput, frames: int, head: str) -> Tensor:
        tok = self.proj(anchor_frames(out, head))  # (B, Tf, P, D)
        b, tf, _p, d = tok.shape
        idx = torch.arange(frames, device=tok.device) * tf // frames  # video frame -> anchor frame
        per = tok[:, idx]  # (B, T, P, D)
        state = out.state.unsqueeze(1).expand(-1, frames, -1, -1)  # (B, T, L, D)
        kv = self.norm_kv(torch.cat([per, state], dim=2).flatten(0, 1))  # (B*T, P + L, D)
        pos = (torch.arange(frames, device=tok.device) + 0.5) / frames
        q = self.queries[None, None] + time_embedding(pos, d)[None, :, None].to(
            tok.dtype
        )  # (1, T, M, D)
        q = q.expand(b, -1, -1, -1).flatten(0, 1)  # (B*T, M, D)
        z, _ = self.attn(q, kv, kv, need_weights=False)
        return self.out(z + q)  # (B*T, M, X)


class EditConditionHead(Head):
    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        unet: Any,  # diffusers UNet2DConditionModel / AutoencoderKL: config fields per class
        vae: Any | None,
        scheduler: Any,
        tokens_per_frame: int,
        train_unet: bool,
        image_size: int,
        anchor_width: int | None,
    ) -> None:
        super().__init__(spec, width=width)
        self.unet, self.vae, self.scheduler = unet, vae, scheduler
        self.train_unet, self.image_size = train_unet, image_size
        self.conditioner = FrameConditioner(
            width, unet.config.cross_attention_dim, tokens_per_frame, anchor_width
        )
        unet.requires_grad_(train_unet)
        if vae is not None:
            vae.requires_grad_(False)

    def train(self, mode: bool = True) -> EditConditionHead:
        super().train(mode)
        if not self.train_unet:
            self.unet.eval()
        if self.vae is not None:
            self.vae.eval()
        return self

    def targets(self, batch: dict[str, Any], device: torch.device) -> Tensor:
        """The frames the UNet denoises: (B*T, C, S, S) pixels in [-1, 1], or VAE latents."""
        video = need_batch(batch, "video", self.spec.name)
        x = to_frames(torch.as_tensor(video).to(device), name=self.spec.name).flatten(
            0, 1
        )  # (B*T, 3, H, W)
        x = (
            F.interpolate(
                x,
                size=(self.image_size, self.image_size),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
            * 2
            - 1
        )
        if self.vae is None:
            return x
        with torch.no_grad():
            return self.vae.encode(x).latent_dist.mean * self.vae.config.scaling_factor

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        frames = need_batch(batch, "video", self.spec.name).shape[1]
        cond = self.conditioner(out, frames, self.spec.name)  # (B*T, M, X)
        x0 = self.targets(batch, cond.device).to(cond.dtype)
        noise = torch.randn_like(x0)
        t = torch.randint(
            0, self.scheduler.config.num_train_timesteps, (x0.shape[0],), device=x0.device
        )
        noisy = self.scheduler.add_noise(x0, noise, t)
        pred = self.unet(noisy, t, encoder_hidden_states=cond).sample
        return {"cond": cond, "denoise_mse": F.mse_loss(pred.float(), noise.float())}

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        return preds["denoise_mse"]

    def meter(self) -> Meter:
        return DenoiseMeter()


def build(spec: HeadSpec, *, width: int, **params: Any) -> EditConditionHead:
    p = head_params(spec, params, DEFAULTS)
    diffusers = _diffusers(spec.name)
    if (p["unet_config"] is None) == (p["unet_path"] is None):
        raise ConfigError(
            f"head '{spec.name}' needs exactly one of params.unet_path (a local directory) "
            "or params.unet_config (UNet2DConditionModel keyword arguments)"
        )
    unet = _load(
        diffusers.UNet2DConditionModel, spec.name, "unet", p["unet_path"], p["unet_config"]
    )
    vae = _load(diffusers.AutoencoderKL, spec.name, "vae", p["vae_path"], p["vae_config"])
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=int(p["num_train_timesteps"]))
    size = p["image_size"]
    if size is None:
        sample = unet.config.sample_size
        sample = sample[0] if isinstance(sample, (list, tuple)) else sample
        size = sample * (2 ** (len(vae.config.block_out_channels) - 1) if vae is not None else 1)
    want = vae.config.latent_channels if vae is not None else 3
    if unet.config.in_channels != want:
        raise ConfigError(
            f"head '{spec.name}': the UNet takes {unet.config.in_channels} input channels but "
            f"{'the VAE latents have' if vae is not None else 'RGB frames have'} {want}"
        )
    return EditConditionHead(
        spec,
        width=width,
        unet=unet,
        vae=vae,
        scheduler=scheduler,
        tokens_per_frame=int(p["tokens_per_frame"]),
        train_unet=bool(p["train_unet"]),
        image_size=int(size),
        anchor_width=p["anchor_width"],
    )
