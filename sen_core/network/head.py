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

from sen_core.neuron import Tokens
from sen_core.specs import HeadSpec

__all__ = ["Head", "Meter", "NetworkOutput"]


@dataclass
class NetworkOutput:
    """What a SuperEncodingNetwork returns.

    ``state``: final video state (B, L, D); ``pooled``: (B, D) summary of the state;
    ``features``: every neuron's final tokens (native width) by neuron key;
    ``text``: text embeddings projected to D by input source: 'caption', 'question', 'query'
    -> (B, D), 'class_names' -> (C, D); ``anchor``: the anchor neuron's key;
    ``states``: the state after each step (K + 1 entries); ``aux_losses``: e.g. 'distill'.

    Attributes:
        state: (B, L, D) final state; pooled: (B, D).
        features: neuron key -> its final ``Tokens`` (native width; the anchor's carry the grid).
        text: input source -> projected text features ((B, D), or (C, D) for class names).
        anchor: key of the anchor neuron (``anchor_tokens`` reads it).
        states: K + 1 states, one per step; aux_losses: auxiliary losses by name.
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
        """The anchor neuron's final Tokens (frames layout; ``.spatial()`` gives its grid)."""
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
        """Add one batch (override it).

        Args:
            preds: what ``Head.forward`` returned (eval mode).
            batch: the batch, in the dataset schema.
        """
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
        """The closed interval ``metric`` must lie in: from ``ranges``, else [0, 1].

        Args:
            metric: a metric name ``compute`` returns.

        Returns:
            (low, high).
        """
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

    Args:
        spec: the registered ``HeadSpec`` (kept as ``self.spec``).
        width: D, the network's state width (kept as ``self.width``); keyword-only.
    """

    def __init__(self, spec: HeadSpec, *, width: int) -> None:
        super().__init__()
        self.spec = spec
        self.width = width

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        """Predictions from the network output (override it).

        Args:
            out: the network's output (state, pooled, features, text).
            batch: the batch in the dataset schema (labels, captions, ...).

        Returns:
            A dict of tensors (e.g. ``{"logits": (B, C)}``) that ``loss`` and the meter read.
        """
        raise NotImplementedError

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        """The training loss (override it).

        Args:
            preds: what ``forward`` returned.
            batch: the batch.

        Returns:
            A finite scalar tensor, differentiable w.r.t. the network output.

        Raises:
            InputError: the batch lacks a field the head needs.
        """
        raise NotImplementedError

    def meter(self) -> Meter:
        """A fresh ``Meter`` for one evaluation (override it).

        Returns:
            A Meter whose metric names match ``spec.metrics``.
        """
        raise NotImplementedError
