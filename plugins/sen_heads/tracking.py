"""Point-tracking head ``sen/tracking@1`` (TAP-Vid style).

Each query point (t, x, y) reads a feature from the anchor's spatial tokens (bilinear sampling in
frame t), correlates it with every frame's feature map, and a soft-argmax over the correlation
gives a position in each frame; an MLP on the correlation peak and the attended feature gives
visibility. With ``position: offset`` (the default) the prediction is the query point moved by the
soft-argmax's displacement from the query frame, so a point is exactly at its query in the query
frame and a coarse grid only has to find the motion, not the position (a 7x7 grid's cells are 37 px
of the 256 px raster); ``position: absolute`` is the soft-argmax itself. The pooled state
modulates the feature maps (FiLM, zero-initialised), so the RA network's fused state shapes what
is tracked.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, InputError
from sen_core.network import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec

from ._common import AnchorProjection, anchor_spatial, head_params, need_batch
from ._defaults import PARAMS
from .metrics_tracking import EVAL_SIZE, TrackingMeter, entry_mask

DEFAULTS = PARAMS["sen/tracking@1"]


def frame_size(batch: dict[str, Any], head: str) -> tuple[int, int]:
    """(H, W) of the batch's video, (B, T, H, W, 3) or (B, T, 3, H, W)."""
    v = need_batch(batch, "video", head)
    shape = tuple(v.shape)
    if len(shape) != 5:
        raise InputError(f"head '{head}': batch['video'] must be (B, T, H, W, 3), got {shape}")
    return (shape[2], shape[3]) if shape[-1] == 3 and shape[2] != 3 else (shape[3], shape[4])


class TrackingHead(Head):
    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        anchor_width: int | None,
        init_temperature: float,
        huber_delta: float,
        position_weight: float,
        visibility_weight: float,
        query_mode: str,
        visibility_threshold: float,
        position: str,
    ) -> None:
        super().__init__(spec, width=width)
        self.huber_delta, self.position_weight, self.visibility_weight = (
            huber_delta,
            position_weight,
            visibility_weight,
        )
        self.query_mode, self.visibility_threshold = query_mode, visibility_threshold
        self.position = position
        self.proj = AnchorProjection(anchor_width, width)
        self.film = nn.Linear(width, 2 * width)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.log_temp = nn.Parameter(torch.tensor(math.log(init_temperature)))
        self.visibility = nn.Sequential(nn.Linear(width + 1, width), nn.GELU(), nn.Linear(width, 1))

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        name = self.spec.name
        sp = anchor_spatial(out, name)  # (B, Tf, h, w, C)
        _b, tf, gh, gw, _ = sp.shape
        H, W = frame_size(batch, name)
        t_video = need_batch(batch, "video", name).shape[1]
        qp = torch.as_tensor(
            need_batch(batch, "query_points", name), device=sp.device
        ).float()  # (B, Q, 3)
        feat = self.proj(sp)  # (B, Tf, h, w, D)
        gamma, beta = self.film(out.pooled).chunk(2, dim=-1)  # (B, D) each
        feat = feat * (1 + gamma[:, None, None, None]) + beta[:, None, None, None]
        feat = F.normalize(feat, dim=-1)
        # query features: trilinear sampling exactly at the centre of the query's feature frame
        tq = (
            qp[..., 0].round().clamp(0, t_video - 1) * tf / t_video
        ).floor()  # (B, Q) feature frame
        grid = torch.stack(
            [qp[..., 1] / W * 2 - 1, qp[..., 2] / H * 2 - 1, (tq + 0.5) / tf * 2 - 1], -1
        )
        vol = feat.permute(0, 4, 1, 2, 3)  # (B, D, Tf, h, w)
        qf = F.grid_sample(
            vol, grid[:, :, None, None], mode="bilinear", align_corners=False
        )  # (B, D, Q, 1, 1)
        qf = F.normalize(qf[..., 0, 0].transpose(1, 2), dim=-1)  # (B, Q, D)
        corr = torch.einsum("bqd,btxyd->bqtxy", qf, feat).flatten(3)  # (B, Q, Tf, h*w) cosine
        prob = (corr / self.log_temp.exp()).softmax(-1)
        ys, xs = torch.meshgrid(
            (torch.arange(gh, device=sp.device) + 0.5) * H / gh,
            (torch.arange(gw, device=sp.device) + 0.5) * W / gw,
            indexing="ij",
        )
        centres = torch.stack([xs.flatten(), ys.flatten()], -1).to(
            prob.dtype
        )  # (h*w, 2) pixel (x, y)
        pos = prob @ centres  # (B, Q, Tf, 2)
        attended = torch.einsum("bqtn,btnd->bqtd", prob, feat.flatten(2, 3))  # (B, Q, Tf, D)
        vis_in = torch.cat([attended * qf[:, :, None], corr.max(-1).values.unsqueeze(-1)], -1)
        if self.position == "offset":
            # the query point moved by the soft-argmax's displacement from its own feature frame
            at_query = pos.gather(2, tq.long()[..., None, None].expand(-1, -1, 1, 2))  # (B,Q,1,2)
            pos = qp[..., None, 1:3] + (pos - at_query)
        vis = self.visibility(vis_in).squeeze(-1)  # (B, Q, Tf)
        # video frame t reads feature frame floor(t * Tf / T) (equal when the anchor runs per frame)
        idx = torch.arange(t_video, device=sp.device) * tf // t_video
        return {
            "tracks": pos[:, :, idx],
            "visible_logits": vis[:, :, idx],
            "frame_size": torch.tensor([H, W]),
        }

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        # reduce, not sum(): no int 0 start, so the result is a Tensor (same additions, same order)
        return functools.reduce(operator.add, self.loss_terms(preds, batch).values())

    def loss_terms(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> dict[str, Tensor]:
        """position: Huber (delta in 256-scale px) on visible points; visibility: BCE."""
        tracks, logits = preds["tracks"], preds["visible_logits"]
        dev = tracks.device
        gt = torch.as_tensor(
            need_batch(batch, "tracks", self.spec.name), device=dev
        ).float()  # (B, Q, T, 2)
        vis = torch.as_tensor(
            need_batch(batch, "visible", self.spec.name), device=dev
        ).bool()  # (B, Q, T)
        if gt.shape != tracks.shape:
            raise InputError(
                f"head '{self.spec.name}': batch['tracks'] is {tuple(gt.shape)}, "
                f"predictions are {tuple(tracks.shape)}"
            )
        h, w = preds["frame_size"].tolist()
        scale = tracks.new_tensor([EVAL_SIZE / w, EVAL_SIZE / h])
        hub = F.huber_loss(
            tracks * scale, gt * scale, reduction="none", delta=self.huber_delta
        ).sum(-1)  # (B, Q, T)
        real = entry_mask(batch, vis.shape, dev)  # padded queries / frames do not count
        vis = vis & real
        pos = hub[vis].mean() if bool(vis.any()) else tracks.sum() * 0.0
        bce = F.binary_cross_entropy_with_logits(logits, vis.float(), reduction="none")
        bce = bce[real].mean() if bool(real.any()) else logits.sum() * 0.0
        return {"position": self.position_weight * pos, "visibility": self.visibility_weight * bce}

    def meter(self) -> Meter:
        return TrackingMeter(self.query_mode, self.visibility_threshold)


def build(spec: HeadSpec, *, width: int, **params: Any) -> TrackingHead:
    p = head_params(spec, params, DEFAULTS)
    if p["query_mode"] not in ("strided", "first"):
        raise ConfigError(
            f"head '{spec.name}': params.query_mode must be 'strided' or 'first', "
            f"got {p['query_mode']!r}"
        )
    if p["position"] not in ("offset", "absolute"):
        raise ConfigError(
            f"head '{spec.name}': params.position must be 'offset' or 'absolute', "
            f"got {p['position']!r}"
        )
    return TrackingHead(spec, width=width, **p)
