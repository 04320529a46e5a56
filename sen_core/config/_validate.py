"""Validation: merged config data -> ``RunConfig``, collecting every problem before raising.

Each problem names the file that set the key (or the command-line override), the dotted key path
and what was expected: wrong types, unknown keys (with a did-you-mean over the model's fields),
component names missing from the catalogue (names are looked up, nothing is built).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sen_core.catalogue import lookup_component
from sen_core.config._merge import Origins, origin_of
from sen_core.config.run_config import SPLIT_PATTERN, RunConfig
from sen_core.errors import suggest
from sen_core.network.spec import anchor_problem, default_key
from sen_core.params import param_problems

# Where component names live in a run config, and the catalogue kind each must be.
_NAME_FIELDS = (
    (("model", "neurons", "*", "name"), "encoder"),
    (
        (
            "model",
            "block",
        ),
        "block",
    ),
    (("model", "heads", "*", "name"), "head"),
    (("data", "name"), "dataset"),
)


def dotted(loc: tuple[Any, ...]) -> str:
    """('model', 'neurons', 0, 'name') -> 'model.neurons.0.name' (the override syntax)."""
    return ".".join(str(p) for p in loc) or "(top level)"


def validate_model(
    model: type[BaseModel], data: Any, origins: Origins, default: str, prefix: tuple[Any, ...] = ()
) -> tuple[Any, list[str]]:
    """``model.model_validate(data)``; on failure, one message per pydantic error."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors()
    problems = [_describe(model, err, origins, default, prefix) for err in errors]
    # Rules across keys (pydantic "after" validators) only run once a model's fields are valid; drop
    # the unknown keys and validate again so those problems are reported in the same pass.
    extra = [tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    if extra:
        try:
            model.model_validate(_without(data, extra))
        except ValidationError as exc:
            more = [_describe(model, e, origins, default, prefix) for e in exc.errors()]
            problems += [p for p in more if p not in problems]
    return None, problems


def _without(data: Any, locs: list[tuple[Any, ...]]) -> Any:
    """A copy of ``data`` with the keys at ``locs`` removed."""
    import copy

    out = copy.deepcopy(data)
    for loc in locs:
        node = out
        try:
            for part in loc[:-1]:
                node = node[part]
            del node[loc[-1]]
        except (KeyError, IndexError, TypeError):
            pass
    return out


def validate_run(
    data: dict[str, Any],
    origins: Origins,
    default: str,
    *,
    catalogue: Any = None,
    check_names: bool = True,
) -> tuple[RunConfig | None, list[str]]:
    """The RunConfig for ``data`` and the list of problems (empty when valid)."""
    config, problems = validate_model(RunConfig, data, origins, default)
    problems += check_anchor(data, origins, default)
    if check_names:
        problems += check_component_names(data, origins, default, catalogue)
    if config is not None and not problems:
        problems += check_memory(config, origins, default, catalogue)
    return (config if not problems else None), problems


def check_memory(config: RunConfig, origins: Origins, default: str, catalogue: Any) -> list[str]:
    """The run must fit in this machine's memory (a lower bound; see ``_budget``)."""
    from sen_core.catalogue import get_catalogue
    from sen_core.config._budget import memory_problem
    from sen_core.errors import SenError

    try:
        defaults = dict((catalogue or get_catalogue()).get(config.data.name, kind="dataset").params)
    except SenError:
        defaults = {}  # an unknown dataset is reported by the name check
    hit = memory_problem(config, defaults)
    if hit is None:
        return []
    loc, problem = hit
    return [f"{origin_of(loc, origins, default)}: {problem}"]


def check_anchor(data: dict[str, Any], origins: Origins, default: str) -> list[str]:
    """The anchor must be one of the neuron keys (NetworkSpec itself does not check it)."""
    model = data.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("anchor"), str):
        return []
    neurons = model.get("neurons")
    if not isinstance(neurons, list):
        return []
    keys = []
    for n in neurons:
        if not isinstance(n, dict):
            return []
        key = n.get("key") or (default_key(n["name"]) if isinstance(n.get("name"), str) else None)
        keys.append(key)
    msg = anchor_problem(model["anchor"], [k for k in keys if k])
    if msg is None:
        return []
    loc = ("model", "anchor")
    return [f"{origin_of(loc, origins, default)}: {dotted(loc)}: {msg}"]


def check_component_names(
    data: dict[str, Any], origins: Origins, default: str, catalogue: Any = None
) -> list[str]:
    """Every component name in the config must be in the catalogue (looked up, never built)."""
    from sen_core.catalogue import get_catalogue

    cat = catalogue or get_catalogue()
    problems = []
    for pattern, kind in _NAME_FIELDS:
        for loc, name in _find(data, pattern, ()):
            if not isinstance(name, str):
                continue  # a type error, reported by the model validation
            spec, problem = lookup_component(cat, name, kind)
            if problem is not None:
                problems.append(f"{origin_of(loc, origins, default)}: {dotted(loc)}: {problem}")
            else:
                problems += _param_problems(data, loc, spec, origins, default)
                if kind == "dataset":
                    problems += _split_problems(data, spec, origins, default)
    return problems


def _split_problems(data: dict[str, Any], spec: Any, origins: Origins, default: str) -> list[str]:
    """The splits a run reads (``train`` and ``train.eval_split``) must be splits of the dataset."""
    train = data.get("train")
    eval_split = train.get("eval_split", "val") if isinstance(train, dict) else "val"
    out = []
    for loc, split in ((("data", "name"), "train"), (("train", "eval_split"), eval_split)):
        valid = isinstance(split, str) and re.match(SPLIT_PATTERN, split)  # else a type error
        problem = spec.split_problem(split) if valid else None
        if problem is not None:
            out.append(f"{origin_of(loc, origins, default)}: {dotted(loc)}: {problem}")
    return out


def _param_problems(
    data: dict[str, Any], name_loc: tuple[Any, ...], spec: Any, origins: Origins, default: str
) -> list[str]:
    """The params beside a component name, checked against its spec's declared params."""
    # model.block's params sit in model.block_params; every other name has a sibling 'params'
    loc = (
        ("model", "block_params") if name_loc == ("model", "block") else (*name_loc[:-1], "params")
    )
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return []
    if not isinstance(node, dict):
        return []  # a type error, reported by the model validation
    out = []
    for line in param_problems(spec, node, prefix=dotted(loc)):
        key = line.split(":", 1)[0].split(".")
        where = origin_of((*loc, key[-1]), origins, default)
        out.append(f"{where}: {line}")
    return out


def _find(
    node: Any, pattern: tuple[str, ...], loc: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not pattern:
        yield loc, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _find(item, rest, (*loc, i))
    elif isinstance(node, dict) and head in node:
        yield from _find(node[head], rest, (*loc, head))


# ---- pydantic error -> message ---------------------------------------------------------------
def _describe(
    model: type[BaseModel],
    err: ErrorDetails,
    origins: Origins,
    default: str,
    prefix: tuple[Any, ...],
) -> str:
    # drop the union-member tags pydantic puts in locations ('list[any]', 'function-after[...]')
    loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[len(prefix) : -1])
        key = str(loc[-1])
        msg = f"unknown key '{key}'"
        if owner is not None:
            fields = list(owner.model_fields)
            hint = suggest(key, fields)
            msg += (
                f"; did you mean '{hint[0]}'?"
                if hint
                else f"; {owner.__name__} keys are: {', '.join(fields)}"
            )
        return f"{origin_of(loc, origins, default)}: {dotted(loc)}: {msg}"
    if kind == "missing":
        return f"{origin_of(loc[:-1], origins, default)}: {dotted(loc)}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if (
        kind not in ("value_error", "assertion_error")
        and "input" in err
        and not isinstance(err["input"], (dict, list))
    ):
        msg += f" (got {err['input']!r})"
    if isinstance(
        err.get("input"), dict
    ):  # a rule across keys: name every file that set some of them
        n = len(loc)
        files = list(dict.fromkeys(o for p, o in origins.items() if p[:n] == loc))
        if files:
            return f"{' + '.join(files)}: {dotted(loc)}: {msg}"
    return f"{origin_of(loc, origins, default)}: {dotted(loc)}: {msg}"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that validates the value at ``loc`` (None if not a model)."""
    cls: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or cls is None:
            continue  # list index: the item type is already unwrapped below
        info = cls.model_fields.get(str(part))
        cls = _inner_model(info.annotation) if info is not None else None
    return cls


def _inner_model(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            hit = _inner_model(arg)
            if hit is not None:
                return hit
    return None
