"""Contracts between the network, task heads and datasets: ``NetworkOutput``, ``Head``, ``Meter``.

Data flow: dataset batch -> SuperEncodingNetwork -> NetworkOutput -> each Head -> predictions,
loss, and a Meter that accumulates predictions over an evaluation set into metrics.
Batch schema (docs/tasks.md): ``video`` uint8 (B, T, H, W, 3); ``label`` int64 (B,);
``class_names`` list[str] (C); ``caption``/``question``/``query``/``answer`` list[str] (B);
``moments`` list of (K_i, 2) float tensors, (start, end) as fractions of the clip in [0, 1];
``saliency`` float (B, T); ``tracks`` float (B, Q, T, 2) pixel xy; ``visible`` bool (B, Q, T);
``query_points`` float (B, Q, 3) as (t, x, y); ``fps`` float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from .neuron import Tokens
from .specs import HeadSpec


@dataclass
class NetworkOutput:
    """What a SuperEncodingNetwork returns.

    ``state``: final video state (B, L, D); ``pooled``: (B, D) summary of the state;
    ``features``: every neuron's final tokens (native width) by neuron key;
    ``text``: text embeddings projected to D by input source: 'caption', 'question', 'query'
    -> (B, D), 'class_names' -> (C, D); ``anchor``: the anchor neuron's key;
    ``states``: the state after each step (K + 1 entries); ``aux_losses``: e.g. 'distill'.
    """

    state: Tensor
    pooled: Tensor
    features: dict[str, Tokens]
    text: dict[str, Tensor] = field(default_factory=dict)
    anchor: str = ""
    states: list[Tensor] = field(default_factory=list)
    aux_losses: dict[str, Tensor] = field(default_factory=dict)

    @property
    def anchor_tokens(self) -> Tokens:
        return self.features[self.anchor]


class Meter:
    """Accumulates predictions over an evaluation set; ``compute`` returns {metric: float}."""

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        raise NotImplementedError


class Head(nn.Module):
    """Base class of task heads. Factories are called ``factory(spec, width=D, **params)``.

    ``forward(out, batch) -> preds`` (a dict of tensors); ``loss(preds, batch) -> scalar``;
    ``meter() -> Meter``. ``needs`` on the spec declares inputs the network must provide.
    """

    def __init__(self, spec: HeadSpec, *, width: int) -> None:
        super().__init__()
        self.spec = spec
        self.width = width

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        raise NotImplementedError

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        raise NotImplementedError

    def meter(self) -> Meter:
        raise NotImplementedError
