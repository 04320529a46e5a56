"""How the conformance kit words a failure: the component, the check, what was expected, what came.

Every check reports through ``expect(ok, what, expected=..., actual=...)``, or raises a plain
``AssertionError`` with a message; ``run_check`` (what ``checks()`` hands out) prefixes the
component and the check, and turns any other exception a component raises (a raw torch error) into
a ``CheckFailure`` that names them too, with the original chained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["CheckFailure", "expect", "run_check", "shape"]


class CheckFailure(AssertionError):
    """A broken contract: ``<component>: <check>: <what>: expected <x>, got <y>``."""


def shape(x: Any) -> Any:
    """A tensor's shape as a tuple (anything else as it is), for messages."""
    return tuple(x.shape) if hasattr(x, "shape") else x


def expect(ok: Any, what: str, *, expected: Any = None, actual: Any = None) -> None:
    """Raise ``CheckFailure('<what>: expected <expected>, got <actual>')`` unless ``ok``.

    Args:
        ok: the condition (truthy passes).
        what: the property checked, e.g. ``"output width"``.
        expected: the value the contract asks for (left out of the message when None).
        actual: the value the component gave.
    """
    if ok:
        return
    if expected is None and actual is None:
        raise CheckFailure(what)
    raise CheckFailure(f"{what}: expected {expected}, got {actual}")


def run_check(check: Callable[[Any], None], case: Any, component: str) -> None:
    """Run ``check(case)``; every failure names ``component`` and the check.

    Args:
        check: a ``check_*(case)`` function; case: its case; component: the test id of the case.

    Raises:
        CheckFailure: the check failed (assertion) or the component raised (chained).
        SkipCheck: the check does not apply (passed through).
    """
    from sen_core.testing._encoder_checks import SkipCheck

    name = check.__name__.removeprefix("check_")
    try:
        check(case)
    except SkipCheck:
        raise
    except AssertionError as exc:
        detail = str(exc) or (check.__doc__ or "").strip().splitlines()[0]
        raise CheckFailure(f"{component}: {name}: {detail}") from exc
    except Exception as exc:  # a component may raise anything: name it
        detail = " ".join(str(exc).split())
        raise CheckFailure(
            f"{component}: {name}: the component raised {type(exc).__name__}: {detail}"
        ) from exc
