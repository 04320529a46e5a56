"""The parameter contract: what params a component's factory accepts, and the one checker.

A spec declares its factory's params as ``params`` (defaults) plus ``param_types`` (a type string
per name, for params without a default or to widen a default's type). ``param_problems`` checks a
config's params against that declaration before anything is built; ``call_factory`` turns a
factory's own ``TypeError``/``ValueError`` into a ConfigError naming the component and the key.
Pure Python: no torch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from sen_core.errors import ConfigError, SenError, suggest

__all__ = [
    "PARAM_TYPES",
    "SIZE_BOUNDS",
    "call_factory",
    "check_params",
    "check_type_string",
    "declared_bounds",
    "declared_params",
    "param_problems",
]

# The type grammar: one or more of these joined by "|", e.g. "int|str", "str|null".
PARAM_TYPES = ("int", "float", "str", "bool", "list", "dict", "null", "any")
# Params every encoder factory receives even when its spec does not list them.
ENCODER_IMPLICIT = {"trainable": "str", "checkpoint": "str|null"}

# Bounds of size-like params, by name, for every component (first- and third-party alike): a
# number outside them is refused at validation, before a tensor is allocated. Far above any real
# value (an 8K frame, 4096 frames a clip); a spec's own ``param_bounds`` replace these per name.
SIZE_BOUNDS: dict[str, tuple[float, float]] = {
    "image_size": (1, 8192),
    "frames": (1, 4096),
    "key_frames": (1, 4096),
    "num_samples": (1, 10**7),  # a synthetic split: the sampler holds a permutation of it
    "num_points": (1, 4096),
    "num_classes": (1, 10**6),
    "num_queries": (1, 4096),
    "tokens_per_frame": (1, 65536),
    "max_length": (1, 65536),
    "max_new_tokens": (1, 65536),
    "max_prompt_tokens": (1, 65536),
    "memory_tokens": (1, 65536),
    "coarse_tokens": (1, 65536),
    "prefix_tokens": (0, 65536),
    "max_windows": (1, 65536),
    "embed_dim": (1, 65536),
    "layers": (0, 1024),
    "ffn_mult": (1, 64),
    "hidden_mult": (1, 64),
    "num_train_timesteps": (1, 10**5),
}


def check_type_string(t: str) -> str:
    """``t`` if it is a valid type string ('int', 'int|str', ...), else ValueError.

    Args:
        t: a type string: ``PARAM_TYPES`` joined by ``|``.

    Returns:
        ``t``.

    Raises:
        ValueError: a part is not one of ``PARAM_TYPES`` (pydantic reports it on the spec).
    """
    parts = t.split("|")
    bad = [p for p in parts if p not in PARAM_TYPES]
    if not t or bad:
        raise ValueError(
            f"param type {t!r} must be one of {', '.join(PARAM_TYPES)}, or several joined by '|'"
        )
    return t


def _type_of_default(value: Any) -> str:
    if value is None:
        return "any"  # a None default says nothing about the type; declare it in param_types
    for t, py in (("bool", bool), ("int", int), ("float", float), ("str", str), ("dict", dict)):
        if isinstance(value, py):
            return t
    if isinstance(value, (list, tuple)):
        return "list"
    return "any"


def declared_params(spec: Any) -> dict[str, str]:
    """Every param ``spec``'s factory accepts -> its type string (defaults' types unless declared).

    Args:
        spec: a component spec (its ``params`` and ``param_types``).

    Returns:
        name -> type string; encoders also get the implicit ``trainable`` and ``checkpoint``.
    """
    out = dict(ENCODER_IMPLICIT) if getattr(spec, "kind", None) == "encoder" else {}
    out.update({k: _type_of_default(v) for k, v in getattr(spec, "params", {}).items()})
    out.update(getattr(spec, "param_types", {}))
    return out


def declared_bounds(spec: Any) -> dict[str, tuple[float | None, float | None]]:
    """Every bounded param of ``spec`` -> (low, high): ``SIZE_BOUNDS`` with the spec's own
    ``param_bounds`` over them (a None end is unbounded).

    Args:
        spec: a component spec.

    Returns:
        name -> (low, high) for the names that have bounds.
    """
    out: dict[str, tuple[float | None, float | None]] = dict(SIZE_BOUNDS)
    out.update(getattr(spec, "param_bounds", {}) or {})
    return out


def _bound_problem(value: Any, bounds: tuple[float | None, float | None]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # bounds apply to numbers (a type error is reported on its own)
    low, high = bounds
    if math.isnan(value):
        return "must be a number, got nan"
    if low is not None and value < low:
        return f"must be at least {_num(low)}, got {_num(value)}"
    if high is not None and value > high:
        return f"must be at most {_num(high)}, got {_num(value)}"
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e18 else f"{x:g}"


def _matches(value: Any, t: str) -> bool:
    for part in t.split("|"):
        if part == "any":
            return True
        if part == "null" and value is None:
            return True
        if part == "bool" and isinstance(value, bool):
            return True
        if part == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if part == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if part == "str" and isinstance(value, str):
            return True
        if part == "list" and isinstance(value, (list, tuple)):
            return True
        if part == "dict" and isinstance(value, dict):
            return True
    return False


def param_problems(spec: Any, params: Mapping[str, Any], prefix: str = "params") -> list[str]:
    """Every problem with ``params`` for ``spec``: unknown keys (with did-you-mean) and wrong types.

    Args:
        spec: a component spec (encoder, block, head or dataset).
        params: the params a config gives it (defaults need not be repeated).
        prefix: the key path printed before each param name.

    Returns:
        One ``"<prefix>.<key>: <problem>"`` line per problem; empty when the params are valid.
    """
    declared = declared_params(spec)
    bounds = declared_bounds(spec)
    problems = []
    for key, value in params.items():
        if key not in declared:
            hint = suggest(key, declared)
            problems.append(
                f"{prefix}.{key}: unknown parameter of {spec.kind} '{spec.name}'"
                + (f"; did you mean '{hint[0]}'?" if hint else "")
                + f" (it takes: {', '.join(sorted(declared)) or 'no params'})"
            )
        elif not _matches(value, declared[key]):
            problems.append(
                f"{prefix}.{key}: {spec.kind} '{spec.name}' expects {declared[key].replace('|', ' or ')}, "
                f"got {value!r} ({type(value).__name__})"
            )
        elif key in bounds and (why := _bound_problem(value, bounds[key])) is not None:
            problems.append(f"{prefix}.{key}: {spec.kind} '{spec.name}': {why}")
    return problems


def check_params(spec: Any, params: Mapping[str, Any]) -> None:
    """Raise ConfigError listing every ``param_problems`` of ``params`` (nothing when valid).

    Call it in a factory that is called directly (not through a config), before building.

    Args:
        spec: the component's spec.
        params: the params given (over the spec's defaults).

    Raises:
        ConfigError: unknown keys (with did-you-mean) or wrong types, all at once.
    """
    problems = param_problems(spec, params)
    if problems:
        raise ConfigError(f"invalid params for {spec.kind} '{spec.name}':", problems)


_QUOTED = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)'")


def call_factory(spec: Any, factory: Callable[..., Any], *args: Any, **params: Any) -> Any:
    """``factory(spec, *args, **params)``; a TypeError/ValueError it raises becomes a ConfigError.

    The error names the component and the param the factory's message quotes (or every param
    given when it quotes none), so a factory's own argument checks never reach the user as a
    traceback. SenErrors (which already say what is wrong) pass through unchanged.

    Args:
        spec: the component's spec (named in the error).
        factory: the imported ``spec.factory``.
        args: positional arguments after the spec.
        params: keyword params (spec defaults merged with the user's).

    Returns:
        What the factory returned.

    Raises:
        ConfigError: the factory refused its params.
    """
    try:
        return factory(spec, *args, **params)
    except SenError:
        raise
    except (TypeError, ValueError) as exc:
        quoted = [k for k in _QUOTED.findall(str(exc)) if k in params]
        keys = quoted[:1] or sorted(params)
        where = f"params.{keys[0]}" if len(keys) == 1 else f"params ({', '.join(keys)})"
        raise ConfigError(
            f"{spec.kind} '{spec.name}': {where}: the factory {spec.factory} refused it: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
