"""Head conformance checks: loss, metrics and meters keep the contract of ``sen_core.network.head``.

Each ``check_*(case)`` builds the case's head at width ``D`` (seeded, once per case) and feeds it
the kit's random ``NetworkOutput`` and full-schema batch (``sen_core.testing.batches``), so no
network is built. A head whose defaults cannot build (a required param such as ``num_classes``)
is skipped with a hint to add a case that sets it.
"""

from __future__ import annotations

import math
from typing import Any

from sen_core.testing._cases import Case
from sen_core.testing._encoder_checks import SkipCheck
from sen_core.testing._report import expect
from sen_core.testing.batches import D, make_batch, make_output

__all__ = ["HEAD_CHECKS"]

_HEADS: dict[tuple[str, str], Any] = {}


def build_head(case: Case) -> Any:
    """The case's head (spec defaults, then the case's params), built once per process, seeded."""
    key = (case.name, repr(sorted(case.params.items())))
    if key not in _HEADS:
        import torch

        from sen_core.catalogue import get_catalogue, import_ref
        from sen_core.errors import ConfigError
        from sen_core.params import call_factory, check_params

        spec = get_catalogue().get(case.name, kind="head")
        check_params(spec, case.params)
        torch.manual_seed(0)
        try:
            factory = import_ref(spec.factory)
            _HEADS[key] = call_factory(spec, factory, width=D, **{**spec.params, **case.params})
        except ConfigError as exc:
            if "need" not in str(exc).lower():
                raise
            raise SkipCheck(
                f"needs params its defaults lack; add a case that sets them ({exc})"
            ) from None
    return _HEADS[key]


def _preds(head: Any, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Eval-mode predictions on the seeded output/batch pair ``seed``, and that batch."""
    import torch

    head.eval()
    batch = make_batch(seed=seed)
    with torch.no_grad():
        return head(make_output(seed=seed), batch), batch


def _metrics(meter: Any) -> dict[str, float]:
    out = meter.compute()
    expect(isinstance(out, dict), "compute() result", expected="a dict", actual=type(out).__name__)
    return {k: float(v) for k, v in out.items()}


def _same(a: dict[str, float], b: dict[str, float], what: str) -> None:
    expect(a.keys() == b.keys(), f"{what}: metric names", expected=sorted(b), actual=sorted(a))
    for k, v in a.items():
        ok = math.isclose(v, b[k], rel_tol=1e-6, abs_tol=1e-9)
        expect(ok, f"{what}: metric {k}", expected=b[k], actual=v)


def check_builds_as_declared(case: Case) -> None:
    """The factory returns a Head for this spec, at the width it was given."""
    from sen_core.network.head import Head

    head = build_head(case)
    expect(
        isinstance(head, Head),
        "the factory's return",
        expected="a sen_core.network.Head",
        actual=type(head).__name__,
    )
    expect(head.spec.name == case.name, "head.spec.name", expected=case.name, actual=head.spec.name)
    expect(head.width == D, "head.width (the width it was given)", expected=D, actual=head.width)


def check_loss_is_finite_and_differentiable(case: Case) -> None:
    """In train mode the loss is a finite scalar; backward reaches the network output, all finite."""
    import torch

    head = build_head(case).train()
    head.zero_grad(set_to_none=True)
    out, batch = make_output(seed=0), make_batch(seed=0)
    loss = head.loss(head(out, batch), batch)
    is_scalar = isinstance(loss, torch.Tensor) and loss.ndim == 0
    got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else repr(loss)
    expect(is_scalar, "loss", expected="a 0-d tensor", actual=got)
    expect(torch.isfinite(loss), "loss", expected="finite", actual=float(loss.detach()))
    expect(
        loss.requires_grad,
        "the loss depends on something trainable",
        expected="requires_grad=True",
        actual="requires_grad=False",
    )
    loss.backward()
    inputs = {"state": out.state.grad, "anchor tokens": out.anchor_tokens.x.grad}
    reached = [n for n, g in inputs.items() if g is not None and g.abs().sum() > 0]
    expect(
        reached,
        "no gradient reaches the network output",
        expected="a nonzero gradient on the state or the anchor tokens",
        actual="none",
    )
    bad = [n for n, g in inputs.items() if g is not None and not torch.isfinite(g).all()]
    bad += [
        n for n, p in head.named_parameters() if p.grad is not None and not p.grad.isfinite().all()
    ]
    expect(bad == [], "non-finite gradients", expected=[], actual=bad)


def check_metrics_in_range(case: Case) -> None:
    """The meter computes every metric the spec declares, each a finite number in its range."""
    head = build_head(case)
    preds, batch = _preds(head, 0)
    meter = head.meter()
    meter.update(preds, batch)
    metrics = _metrics(meter)
    missing = [m for m in head.spec.metrics if m not in metrics]
    expect(
        missing == [],
        f"declared metrics not computed: {missing}",
        expected=list(head.spec.metrics),
        actual=sorted(metrics),
    )
    for name, value in metrics.items():
        lo, hi = meter.range_of(name)
        expect(math.isfinite(value), f"metric {name}", expected="finite", actual=value)
        expect(
            lo <= value <= hi,
            f"metric {name} = {value}, outside [{lo}, {hi}] (see Meter.ranges)",
            expected=f"in [{lo}, {hi}]",
            actual=value,
        )


def check_meter_accumulates(case: Case) -> None:
    """compute() reads without clearing: update, compute, update equals update, update."""
    head = build_head(case)
    (p0, b0), (p1, b1) = _preds(head, 0), _preds(head, 1)
    a, b = head.meter(), head.meter()
    a.update(p0, b0)
    first = _metrics(a)
    _same(first, _metrics(a), "compute() twice")
    a.update(p1, b1)
    b.update(p0, b0)
    b.update(p1, b1)
    _same(_metrics(a), _metrics(b), "a compute() between updates")


def check_meter_resets_and_merges(case: Case) -> None:
    """reset() forgets every update; merging two meters equals one meter given both batches."""
    head = build_head(case)
    (p0, b0), (p1, b1) = _preds(head, 0), _preds(head, 1)
    both, fresh = head.meter(), head.meter()
    both.update(p0, b0)
    both.update(p1, b1)
    expected = _metrics(both)
    both.reset()
    both.update(p0, b0)
    fresh.update(p0, b0)
    _same(_metrics(both), _metrics(fresh), "after reset()")
    other = head.meter()
    other.update(p1, b1)
    fresh.merge(other)
    _same(_metrics(fresh), expected, "merge()")


HEAD_CHECKS = (
    check_builds_as_declared,
    check_loss_is_finite_and_differentiable,
    check_metrics_in_range,
    check_meter_accumulates,
    check_meter_resets_and_merges,
)
