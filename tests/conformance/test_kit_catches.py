"""The kit's block and head checks fail on broken components (they are not checks that pass always)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch
from torch import Tensor, nn

import sen_core.catalogue
from sen_core.catalogue._catalogue import Catalogue
from sen_core.network.head import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec
from sen_core.testing import Case
from sen_core.testing._head_checks import (
    check_loss_is_finite_and_differentiable,
    check_meter_accumulates,
    check_meter_resets_and_merges,
    check_metrics_in_range,
)


class _Mean(Meter):
    """Mean of the first logit: state declared (the good meter)."""

    state: ClassVar[tuple[str, ...]] = ("total", "count")

    def __init__(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        self.total += float(preds["logits"][:, 0].sigmoid().sum())
        self.count += preds["logits"].shape[0]

    def compute(self) -> dict[str, float]:
        return {"score": self.total / max(self.count, 1)}


class _Forgetful(_Mean):
    """compute() clears the state: accumulation breaks."""

    def compute(self) -> dict[str, float]:
        out = super().compute()
        self.total, self.count = 0.0, 0
        return out


class _Stateless(_Mean):
    """No ``state``: the default reset/merge cannot work."""

    state = ()


class _Unbounded(_Mean):
    """Reports a metric outside [0, 1] without declaring its range."""

    def compute(self) -> dict[str, float]:
        return {"score": 5.0}


METERS = {"good": _Mean, "forgetful": _Forgetful, "stateless": _Stateless, "unbounded": _Unbounded}


class ToyHead(Head):
    """A linear head; ``meter_kind`` picks the meter, ``detach`` cuts the graph from the state."""

    def __init__(
        self, spec: HeadSpec, *, width: int, meter_kind: str = "good", detach: bool = False
    ):
        super().__init__(spec, width=width)
        self.fc = nn.Linear(width, 3)
        self.meter_kind, self.detach = meter_kind, detach

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        pooled = out.pooled.detach() if self.detach else out.pooled
        return {"logits": self.fc(pooled)}

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        return preds["logits"].square().mean()

    def meter(self) -> Meter:
        return METERS[self.meter_kind]()


@pytest.fixture
def head_case(monkeypatch):
    """A case for a head registered in a catalogue of its own (one spec name per variant)."""

    def make(variant: str, **params: Any) -> Case:
        name = f"kit/{variant}@1"
        spec = HeadSpec(
            name=name,
            summary="toy",
            factory=f"{__name__}:ToyHead",
            task="toy",
            params={"meter_kind": "good", "detach": False},
        )
        cat = Catalogue()
        cat.add(spec)
        monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)
        return Case(kind="head", name=name, params=params)

    return make


def test_good_head_passes(head_case):
    """The well-behaved toy head passes every head check."""
    case = head_case("good")
    for check in (
        check_loss_is_finite_and_differentiable,
        check_metrics_in_range,
        check_meter_accumulates,
        check_meter_resets_and_merges,
    ):
        check(case)
    assert torch.is_grad_enabled()


def test_forgetful_meter_fails(head_case):
    """A meter whose compute() clears its state fails the accumulation check."""
    with pytest.raises(AssertionError, match="compute\\(\\) twice"):
        check_meter_accumulates(head_case("forgetful", meter_kind="forgetful"))


def test_stateless_meter_fails(head_case):
    """A meter with neither ``state`` nor its own reset/merge fails with a hint."""
    with pytest.raises(NotImplementedError, match=r"set Meter\.state"):
        check_meter_resets_and_merges(head_case("stateless", meter_kind="stateless"))


def test_out_of_range_metric_fails(head_case):
    """A metric outside [0, 1] and not declared in Meter.ranges fails."""
    with pytest.raises(AssertionError, match=r"score = 5.0, outside \[0.0, 1.0\]"):
        check_metrics_in_range(head_case("unbounded", meter_kind="unbounded"))


def test_detached_head_fails(head_case):
    """A head whose loss does not reach the network output fails the gradient check."""
    with pytest.raises(AssertionError, match="no gradient reaches the network output"):
        check_loss_is_finite_and_differentiable(head_case("detached", detach=True))
