"""Video-editing metrics: textual alignment and frame consistency, for ANY video.

Both are CLIP-score style cosines computed with an image-text encoder pair that shares an
embedding space (two super neurons, or any callables): textual alignment is the mean cosine
between each frame's image embedding and the prompt's text embedding (LOVEU-TGVE's
``clip_score_text`` reports 100x this, CLIP's logit scale); frame consistency is the mean cosine
between frames' image embeddings over the pairs ``PAIRS`` names (default: all pairs, LOVEU-TGVE's
``clip_score_frame``). Also the edit head's denoising meter. Conventions: docs/tasks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from sen_core.errors import ConfigError, InputError
from sen_core.network import Meter
from sen_core.neuron import Tokens

Encoder = Callable[[Any], Any]

# "all": mean cosine over every pair of distinct frames (LOVEU-TGVE scripts/run_eval.py);
# "consecutive": mean cosine of frames t and t+1;
# "consecutive_clamped": the same with each cosine clamped at 0 (the CLIPScore-style variant).
PAIRS: tuple[str, ...] = ("all", "consecutive", "consecutive_clamped")
# params through which a neuron loads pretrained weights (EditingEvaluator.from_neurons needs one)
_WEIGHT_PARAMS = ("checkpoint", "path", "pretrained")


# ---- embeddings ------------------------------------------------------------------------------
def frame_embeddings(encoded: Tensor | Tokens, frames: int | None = None) -> Tensor:
    """An image encoder's output -> (B, T, E) one embedding per frame.

    ``Tokens`` with a frames layout: the first special token (CLS) of each frame if there is one,
    else the mean of the frame's tokens. A tensor: (B, T, E) as is, (T, E) gets a batch axis.
    """
    if isinstance(encoded, Tokens):
        per = encoded.per_frame()  # (B, T, P, E)
        return per[:, :, 0] if encoded.layout.special_tokens > 0 else per.mean(2)
    x = torch.as_tensor(encoded)
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3:
        raise InputError(
            f"frame embeddings must be (B, T, E) or (T, E), got shape {tuple(x.shape)}"
        )
    return x


def text_embeddings(encoded: Tensor | Tokens) -> Tensor:
    """A text encoder's output -> (B, E): masked mean of ``Tokens``; a tensor (B, E) or (E,) as is."""
    if isinstance(encoded, Tokens):
        return encoded.pooled()
    x = torch.as_tensor(encoded)
    if x.ndim == 1:
        x = x.unsqueeze(0)
    if x.ndim != 2:
        raise InputError(f"text embeddings must be (B, E) or (E,), got shape {tuple(x.shape)}")
    return x


def textual_alignment_from_embeddings(frame_emb: Tensor, text_emb: Tensor) -> float:
    """Mean over videos and frames of cos(frame_t, text): (B, T, E) or (T, E) against (B, E) or (E,)."""
    f, t = frame_embeddings(frame_emb), text_embeddings(text_emb)
    if f.shape[-1] != t.shape[-1]:
        raise InputError(
            f"image embeddings have width {f.shape[-1]} but text embeddings {t.shape[-1]}: "
            "the encoder pair must share one embedding space"
        )
    if t.shape[0] not in (1, f.shape[0]):
        raise InputError(f"{t.shape[0]} text embeddings for {f.shape[0]} videos")
    cos = F.cosine_similarity(f.float(), t.float()[:, None, :].expand_as(f), dim=-1)  # (B, T)
    return float(cos.mean())


def frame_consistency_from_embeddings(frame_emb: Tensor, pairs: str = "all") -> float:
    """Mean over videos of the per-video mean cosine between frames, (B, T, E) or (T, E).

    ``pairs``: see ``PAIRS``. A video with one frame has no pair: NaN (the reference's 0 / 0).
    """
    if pairs not in PAIRS:
        raise ConfigError(f"pairs must be one of {', '.join(PAIRS)}; got {pairs!r}")
    f = F.normalize(frame_embeddings(frame_emb).double(), dim=-1)  # (B, T, E)
    t = f.shape[1]
    if t < 2:
        return float("nan")
    if pairs == "all":
        sim = f @ f.transpose(1, 2)  # (B, T, T)
        off = sim.sum((1, 2)) - sim.diagonal(dim1=1, dim2=2).sum(-1)
        return float((off / (t * (t - 1))).mean())
    cos = (f[:, 1:] * f[:, :-1]).sum(-1)  # (B, T-1)
    if pairs == "consecutive_clamped":
        cos = cos.clamp(min=0)
    return float(cos.mean(1).mean())


# ---- evaluators on videos --------------------------------------------------------------------
def _video(video: Any) -> Any:
    v = torch.as_tensor(video) if not isinstance(video, Tensor) else video
    return v.unsqueeze(0) if v.ndim == 4 else v  # one clip (T, H, W, 3) -> (1, T, H, W, 3)


@torch.no_grad()
def textual_alignment(
    video: Any, prompts: str | Sequence[str], *, image_encoder: Encoder, text_encoder: Encoder
) -> float:
    """Textual alignment of ``video`` (B, T, H, W, 3) or (T, H, W, 3) with one prompt per video."""
    prompts = [prompts] if isinstance(prompts, str) else list(prompts)
    return textual_alignment_from_embeddings(
        frame_embeddings(image_encoder(_video(video))), text_embeddings(text_encoder(prompts))
    )


@torch.no_grad()
def frame_consistency(video: Any, *, image_encoder: Encoder, pairs: str = "all") -> float:
    """Frame consistency of ``video`` (B, T, H, W, 3) or (T, H, W, 3) over ``pairs`` (``PAIRS``)."""
    return frame_consistency_from_embeddings(frame_embeddings(image_encoder(_video(video))), pairs)


class EditingEvaluator:
    """Scores videos with an image-text encoder pair: {'textual_alignment', 'frame_consistency'}."""

    def __init__(self, image_encoder: Encoder, text_encoder: Encoder, pairs: str = "all") -> None:
        self.image_encoder, self.text_encoder = image_encoder, text_encoder
        self.pairs = pairs

    @classmethod
    def from_neurons(
        cls,
        image: str,
        text: str,
        *,
        image_params: dict[str, Any] | None = None,
        text_params: dict[str, Any] | None = None,
        pairs: str = "all",
    ) -> EditingEvaluator:
        """Build both encoders by catalogue name, e.g. 'open_clip/ViT-B-32/image' and '.../text'.

        Each must load pretrained weights (a ``checkpoint``, ``path`` or ``pretrained`` param,
        given or the spec's default): scores from random towers look plausible (frame
        consistency 0.99) and mean nothing, so they are refused.

        Raises:
            ConfigError: an encoder without pretrained weights.
        """
        from sen_core import get_catalogue
        from sen_core.neuron import build_neuron

        for name, params in ((image, image_params), (text, text_params)):
            spec = get_catalogue().get(name, kind="encoder")
            merged = {**spec.params, **(params or {})}
            if not any(merged.get(k) for k in _WEIGHT_PARAMS):
                which = "image_params" if name == image else "text_params"
                raise ConfigError(
                    f"EditingEvaluator: '{name}' would score with random weights (no "
                    f"{', '.join(_WEIGHT_PARAMS)} param); give pretrained weights, e.g. "
                    f"{which}={{'checkpoint': 'clip.safetensors'}}"
                )
        img = build_neuron(image, **(image_params or {})).eval()
        txt = build_neuron(text, **(text_params or {})).eval()
        return cls(img, txt, pairs)

    @torch.no_grad()
    def __call__(self, video: Any, prompts: str | Sequence[str]) -> dict[str, float]:
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        f = frame_embeddings(self.image_encoder(_video(video)))
        t = text_embeddings(self.text_encoder(prompts))
        return {
            "textual_alignment": textual_alignment_from_embeddings(f, t),
            "frame_consistency": frame_consistency_from_embeddings(f, self.pairs),
        }


class DenoiseMeter(Meter):
    """Mean one-step denoising MSE of the edit-conditioning head, weighted by batch size."""

    state = ("total", "count")
    ranges: ClassVar[dict[str, tuple[float, float]]] = {"denoise_mse": (0.0, float("inf"))}

    def __init__(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        n = int(torch.as_tensor(batch["video"]).shape[0]) if "video" in batch else 1
        self.total += float(preds["denoise_mse"].detach()) * n
        self.count += n

    def compute(self) -> dict[str, float]:
        return {"denoise_mse": self.total / self.count} if self.count else {}
