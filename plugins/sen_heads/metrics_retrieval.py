"""Video-text retrieval metrics: R@K and median/mean rank in both directions.

Computed on the similarity matrix of the WHOLE evaluation set (video i is paired with caption i),
so the meter keeps every embedding until ``compute``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from sen_core.head import Meter


def retrieval_ranks(sim: Tensor) -> Tensor:
    """1-based rank of the paired item in each row of the (N, N) similarity matrix.

    rank_i = 1 + #{j : sim[i, j] > sim[i, i]}: ties count in the query's favour, as in the
    CLIP4Clip / Frozen-in-Time evaluation code, so duplicated captions do not lower the score.
    """
    diag = sim.diagonal().unsqueeze(1)  # (N, 1)
    return (sim > diag).sum(1) + 1


def rank_metrics(
    ranks: Tensor, ks: Sequence[int] = (1, 5, 10), prefix: str = ""
) -> dict[str, float]:
    """R@K (fraction of ranks <= K), median rank MdR and mean rank MnR."""
    r = ranks.double()
    out = {f"{prefix}R@{k}": float((r <= k).double().mean()) for k in ks}
    out[f"{prefix}MdR"] = _median(r)
    out[f"{prefix}MnR"] = float(r.mean())
    return out


def _median(r: Tensor) -> float:
    # numpy's median (mean of the two middle values for an even count), as the reference code uses
    return float(np.median(r.cpu().numpy()))


def retrieval_metrics(sim: Tensor, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Both directions from a (N_video, N_text) similarity matrix with pairs on the diagonal.

    Keys: ``t2v_R@K``, ``t2v_MdR``, ``t2v_MnR``, ``v2t_...``, and ``R@K`` / ``MdR`` the mean of the
    two directions.
    """
    v2t = rank_metrics(retrieval_ranks(sim), ks, "v2t_")
    t2v = rank_metrics(retrieval_ranks(sim.t()), ks, "t2v_")
    out = {**t2v, **v2t}
    for k in ks:
        out[f"R@{k}"] = (t2v[f"t2v_R@{k}"] + v2t[f"v2t_R@{k}"]) / 2
    out["MdR"] = (t2v["t2v_MdR"] + v2t["v2t_MdR"]) / 2
    return out


class RetrievalMeter(Meter):
    """Keeps the normalised video and text embeddings of every batch; ranks them all at the end."""

    def __init__(self, ks: Sequence[int] = (1, 5, 10)) -> None:
        self.ks = tuple(ks)
        self.video: list[Tensor] = []
        self.text: list[Tensor] = []

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        self.video.append(preds["video_emb"].detach().float().cpu())
        self.text.append(preds["text_emb"].detach().float().cpu())

    def compute(self) -> dict[str, float]:
        if not self.video:
            return {}
        v, t = torch.cat(self.video), torch.cat(self.text)  # (N, E) each
        return retrieval_metrics(v @ t.t(), self.ks)
