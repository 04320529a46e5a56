"""Video-text retrieval metrics: R@K and median/mean rank in both directions.

Computed on the similarity matrix of the WHOLE evaluation set (video i is paired with caption i),
so the meter keeps every embedding until ``compute``. Tied similarities follow one of three
conventions of the field's reference code (``TIES``); on a matrix without ties they all agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from sen_core.errors import ConfigError
from sen_core.network import Meter

# "average": a tie shares the mean of its ranks (Frozen-in-Time's v2t_metrics, break_ties="averaging");
# "optimistic": the pair wins every tie (Frozen-in-Time's t2v_metrics, the VSE code);
# "clip4clip": every tied position counts as one ranked entry (CLIP4Clip's compute_metrics).
TIES: tuple[str, ...] = ("average", "optimistic", "clip4clip")


def _check_ties(ties: str) -> None:
    if ties not in TIES:
        raise ConfigError(f"ties must be one of {', '.join(TIES)}; got {ties!r}")


def retrieval_ranks(sim: Tensor, ties: str = "average") -> Tensor:
    """0-based rank of the paired item in each row of the (N, N) similarity matrix.

    ``better`` = #{j : sim[i, j] > sim[i, i]}, ``tied`` = #{j : sim[i, j] == sim[i, i]} (itself
    included). 'optimistic': better; 'average': better + (tied - 1) / 2 (float, N values);
    'clip4clip': better, better + 1, ..., better + tied - 1, one entry per tied position (so a
    row with ties contributes several entries and the count exceeds N).
    """
    _check_ties(ties)
    diag = sim.diagonal().unsqueeze(1)  # (N, 1)
    better = (sim > diag).sum(1).double()
    tied = (sim == diag).sum(1).double()
    if ties == "optimistic":
        return better
    if ties == "average":
        return better + (tied - 1) / 2
    return torch.cat(
        [b + torch.arange(int(t), dtype=torch.float64) for b, t in zip(better, tied, strict=True)]
    )


def rank_metrics(
    ranks: Tensor, ks: Sequence[int] = (1, 5, 10), prefix: str = ""
) -> dict[str, float]:
    """From 0-based ranks: R@K, median rank MdR and mean rank MnR (1-based).

    R@K is the fraction of ranks < K, except R@1 which needs rank == 0: Frozen-in-Time's
    ``cols2metrics`` (the two differ only for averaged tie ranks such as 0.5).
    """
    r = ranks.double()
    out = {f"{prefix}R@{k}": float(((r == 0) if k == 1 else (r < k)).double().mean()) for k in ks}
    out[f"{prefix}MdR"] = _median(r) + 1
    out[f"{prefix}MnR"] = float(r.mean()) + 1
    return out


def _median(r: Tensor) -> float:
    # numpy's median (mean of the two middle values for an even count), as the reference code uses
    return float(np.median(r.cpu().numpy()))


def retrieval_metrics(
    sim: Tensor, ks: Sequence[int] = (1, 5, 10), ties: str = "average"
) -> dict[str, float]:
    """Both directions from a (N_video, N_text) similarity matrix with pairs on the diagonal.

    Keys: ``t2v_R@K``, ``t2v_MdR``, ``t2v_MnR``, ``v2t_...``, and ``R@K`` / ``MdR`` the mean of the
    two directions. ``ties``: see ``TIES`` (the same rule in both directions).
    """
    v2t = rank_metrics(retrieval_ranks(sim, ties), ks, "v2t_")
    t2v = rank_metrics(retrieval_ranks(sim.t(), ties), ks, "t2v_")
    out = {**t2v, **v2t}
    for k in ks:
        out[f"R@{k}"] = (t2v[f"t2v_R@{k}"] + v2t[f"v2t_R@{k}"]) / 2
    out["MdR"] = (t2v["t2v_MdR"] + v2t["v2t_MdR"]) / 2
    return out


class RetrievalMeter(Meter):
    """Keeps the normalised video and text embeddings of every batch; ranks them all at the end."""

    state = ("video", "text")
    ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "*MdR": (1.0, float("inf")),
        "*MnR": (1.0, float("inf")),
    }

    def __init__(self, ks: Sequence[int] = (1, 5, 10), ties: str = "average") -> None:
        _check_ties(ties)
        self.ks = tuple(ks)
        self.ties = ties
        self.video: list[Tensor] = []
        self.text: list[Tensor] = []

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        self.video.append(preds["video_emb"].detach().float().cpu())
        self.text.append(preds["text_emb"].detach().float().cpu())

    def compute(self) -> dict[str, float]:
        if not self.video:
            return {}
        v, t = torch.cat(self.video), torch.cat(self.text)  # (N, E) each
        return retrieval_metrics(v @ t.t(), self.ks, self.ties)
