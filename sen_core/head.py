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
from typing import Any, ClassVar

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
    """Base class of metric meters: accumulates predictions over an evaluation set.

    Subclass it, implement ``update`` and ``compute``, and name the attributes that hold the
    accumulated state in ``state`` (lists, numbers, dicts of numbers, tensors): the default
    ``reset`` empties them and the default ``merge`` adds another meter's state to this one (lists
    concatenated, numbers added), which is how evaluation shards are combined. A meter whose state
    needs other handling overrides ``reset`` and ``merge``. ``ranges`` gives the closed interval
    of each metric (keys are metric names or fnmatch patterns); a metric it does not name must lie
    in [0, 1]. The conformance kit checks all of this (sen_core.testing).
    """

    state: ClassVar[tuple[str, ...]] = ()
    ranges: ClassVar[dict[str, tuple[float, float]]] = {}

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Add one batch: ``preds`` from ``Head.forward``, ``batch`` in the dataset schema."""
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        """The metrics over everything added so far (does not clear the state)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every update (the default empties each attribute named in ``state``).

        Raises:
            NotImplementedError: the meter names no ``state`` and does not override ``reset``.
        """
        if not self.state:
            raise NotImplementedError(
                f"{type(self).__name__}: set Meter.state (the accumulator attributes) "
                "or override reset() and merge()"
            )
        for name in self.state:
            setattr(self, name, _empty(getattr(self, name)))

    def merge(self, other: Meter) -> None:
        """Add ``other``'s updates to this meter (e.g. from another evaluation shard).

        Args:
            other: a meter of the same class and settings.

        Raises:
            TypeError: ``other`` is of another class.
            NotImplementedError: the meter names no ``state`` and does not override ``merge``.
        """
        if type(other) is not type(self):
            raise TypeError(f"cannot merge {type(other).__name__} into {type(self).__name__}")
        if not self.state:
            raise NotImplementedError(
                f"{type(self).__name__}: set Meter.state (the accumulator attributes) "
                "or override reset() and merge()"
            )
        for name in self.state:
            setattr(self, name, _combine(getattr(self, name), getattr(other, name)))

    def range_of(self, metric: str) -> tuple[float, float]:
        """The closed interval ``metric`` must lie in: from ``ranges``, else [0, 1]."""
        import fnmatch

        if metric in self.ranges:
            return self.ranges[metric]
        for pattern, bounds in self.ranges.items():
            if fnmatch.fnmatchcase(metric, pattern):
                return bounds
        return (0.0, 1.0)


def _empty(value: Any) -> Any:
    """An empty accumulator of ``value``'s type: [] , 0, {k: empty}, zeros."""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {k: _empty(v) for k, v in value.items()}
    if isinstance(value, Tensor):
        return value.new_zeros(value.shape)
    return type(value)()  # int, float


def _combine(a: Any, b: Any) -> Any:
    """``a`` and ``b`` accumulated together: lists concatenated, numbers and tensors added."""
    if isinstance(a, list):
        return [*a, *b]
    if isinstance(a, dict):
        keys = [*a, *(k for k in b if k not in a)]
        return {k: _combine(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in keys}
    return a + b


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
