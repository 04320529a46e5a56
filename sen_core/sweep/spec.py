"""Sweep files: the ``SweepSpec`` model and its expansion into trials with resolved configs.

A sweep names a base config, axes over config keys (grid, zip groups, named choices, random
samples) and seeds. ``plan_trials`` turns it into ``Trial``s whose id is the hash of the resolved
``RunConfig``, so the same combination always has the same id (that is what makes resume work).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from sen_core.errors import ConfigError, count
from sen_core.specs import Frozen

DEFAULT_TRIAL = "sen_core.sweep.trial:train_trial"
# A sweep plans (and resolves the config of) every trial before running any: more than this many
# is a mistake (an axis of a billion samples, 40 axes of 2 values), refused before expanding.
MAX_TRIALS = 10_000
_SEED_MAX = 2**32 - 1  # train.seed's bound (NumPy accepts 32-bit seeds)
# Strict like TrainSpec: a boolean is not a number, a float is not an integer, floats are finite.
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class RandomAxis(Frozen):
    """How one key is sampled: from ``choices``, or uniformly in [low, high] (``log``: log-uniform)."""

    model_config = _STRICT

    choices: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> RandomAxis:
        low, high = self.low, self.high
        ranged = low is not None and high is not None
        if (self.choices is None) == (not ranged):
            raise ValueError("give either 'choices: [...]' or both 'low' and 'high'")
        if low is not None and high is not None:
            if low > high:
                raise ValueError(f"low {low} is above high {high}")
            if self.log and low <= 0:
                raise ValueError("log-uniform sampling needs low > 0")
        if self.choices is not None and not self.choices:
            raise ValueError("choices must not be empty")
        return self

    def sample(self, rng: random.Random) -> Any:
        if self.choices is not None:
            return self.choices[rng.randrange(len(self.choices))]
        assert self.low is not None and self.high is not None  # _one_kind: no choices, a range
        lo, hi = float(self.low), float(self.high)
        x = math.exp(rng.uniform(math.log(lo), math.log(hi))) if self.log else rng.uniform(lo, hi)
        return round(x) if self.integer else float(f"{x:.6g}")  # 6 significant digits: readable ids


class RandomSpec(Frozen):
    """``samples`` random points over ``axes``, reproducible from ``seed``; crossed with the grid."""

    model_config = _STRICT

    samples: int = Field(ge=1, le=MAX_TRIALS)
    seed: int = Field(default=0, ge=0, le=_SEED_MAX)
    axes: dict[str, RandomAxis] = Field(min_length=1)

    @field_validator("axes", mode="before")
    @classmethod
    def _list_means_choices(cls, v: Any) -> Any:
        # `train.lr: [1e-4, 1e-3]` is shorthand for `train.lr: {choices: [1e-4, 1e-3]}`
        if isinstance(v, dict):
            return {k: {"choices": a} if isinstance(a, list) else a for k, a in v.items()}
        return v


class SweepSpec(Frozen):
    """A sweep file (see docs/sweeps.md)."""

    model_config = _STRICT

    name: str | None = Field(default=None, description="default: the preset name or the file name")
    base: str = Field(
        description="the run config: a .yaml path (relative to the sweep file) or a preset name"
    )
    overrides: list[str] = Field(
        default_factory=list, description="key=value applied to every trial"
    )
    axes: dict[str, list[Any] | dict[str, dict[str, Any]]] = Field(
        default_factory=dict,
        description="key: [values] for a grid axis; name: {label: {key: value, ...}} for named choices",
    )
    zip: list[dict[str, list[Any]]] = Field(
        default_factory=list, description="groups of keys varied together"
    )
    random: RandomSpec | None = None
    seeds: list[Annotated[int, Field(ge=0, le=_SEED_MAX)]] = Field(
        default_factory=lambda: [0], min_length=1, max_length=MAX_TRIALS
    )
    seed_keys: list[str] = Field(
        default_factory=lambda: ["train.seed"],
        min_length=1,
        max_length=16,
        description="config keys set to each seed (add data.params.seed to vary the data too)",
    )
    metrics: list[str] = Field(
        default_factory=list, description="columns to report; the first ranks"
    )
    goal: Literal["max", "min"] = "max"
    trial: str = Field(default=DEFAULT_TRIAL, description="'module:function' run for each trial")
    cache: bool = Field(default=True, description="share prompt-free features between trials")

    @field_validator("axes", mode="before")
    @classmethod
    def _check_axes(cls, v: Any) -> Any:
        for name, values in v.items() if isinstance(v, dict) else ():
            if isinstance(values, list) and not values:
                raise ValueError(f"axis '{name}' has no values")
            if isinstance(values, dict):
                if not values:
                    raise ValueError(f"axis '{name}' has no choices")
                bad = [label for label, sets in values.items() if not isinstance(sets, dict)]
                if bad:
                    raise ValueError(
                        f"axis '{name}': choice '{bad[0]}' must map config keys to values, "
                        f"e.g. {{model.width: 64, model.attn_heads: 2}}"
                    )
            elif not isinstance(values, list):
                raise ValueError(
                    f"axis '{name}' must be a list of values (a grid axis) or a mapping "
                    f"{{label: {{key: value, ...}}}} (named choices); got {values!r}"
                )
        return v

    @field_validator("zip")
    @classmethod
    def _check_zip(cls, v: list[dict[str, list[Any]]]) -> list[dict[str, list[Any]]]:
        for i, group in enumerate(v):
            lengths = {k: len(vals) for k, vals in group.items()}
            if not group or len(set(lengths.values())) != 1 or 0 in lengths.values():
                raise ValueError(
                    f"zip group {i}: every key needs the same non-zero number of values, got {lengths}"
                )
        return v

    @field_validator("trial")
    @classmethod
    def _check_trial(cls, v: str) -> str:
        from sen_core.sweep.trial import trial_function_problem

        problem = trial_function_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _bounded(self) -> SweepSpec:
        n = count_trials(self)
        if n > MAX_TRIALS:
            raise ValueError(
                f"the sweep expands to {n:,} trials ({_count_formula(self)}), more than the "
                f"{MAX_TRIALS:,} a sweep may plan; use fewer axis values, samples or seeds, "
                "or split it into several sweeps"
            )
        return self


@dataclass
class Trial:
    """One point of the sweep: its config overrides, how it shows in tables, and its resolved config."""

    overrides: list[tuple[str, Any]]
    axes: dict[str, Any]
    id: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "axes": self.axes,
            "overrides": [list(o) for o in self.overrides],
            "config": self.config,
        }


@dataclass
class LoadedSweep:
    """A validated sweep file and where it came from (relative ``base`` paths resolve from there)."""

    spec: SweepSpec
    name: str
    label: str
    directory: Path | None

    @property
    def base_ref(self) -> str:
        from sen_core.config import is_path_ref

        base = self.spec.base
        if (
            is_path_ref(base)
            and self.directory is not None
            and not Path(base).expanduser().is_absolute()
        ):
            return str(self.directory / base)
        return base

    def axis_names(self) -> list[str]:
        return list(_axis_order(self.spec))


def load_sweep(ref: str, *, catalogue: Any = None) -> LoadedSweep:
    """Read a sweep file or preset (``_base_`` works as for run configs) and validate it."""
    from sen_core.config._load import read_layers
    from sen_core.config._validate import validate_model

    layered = read_layers(ref, catalogue=catalogue, expect=("sweep",))
    problems = list(layered.problems)
    spec = None
    if layered.data or not problems:
        spec, more = validate_model(SweepSpec, layered.data, layered.origins, layered.label)
        problems += more
    if problems:
        raise ConfigError(f"invalid sweep {layered.label} ({count(len(problems))}):", problems)
    assert spec is not None
    name = spec.name or layered.meta.get("name") or (layered.path.stem if layered.path else ref)
    directory = layered.path.parent if layered.path is not None else None
    return LoadedSweep(spec=spec, name=str(name), label=layered.label, directory=directory)


# ---- expansion ---------------------------------------------------------------------------------
def _axis_order(spec: SweepSpec) -> list[str]:
    names = list(spec.axes)
    for group in spec.zip:
        names += list(group)
    if spec.random is not None:
        names += list(spec.random.axes)
    return [*names, "seed"]


def _show(value: Any) -> Any:
    """How a value appears in result tables: scalars as they are, containers as short text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    from sen_core.network.spec import canonical_json

    text = canonical_json(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sizes(spec: SweepSpec) -> list[tuple[str, int]]:
    """(name, number of values) of every dimension, in expansion order (seeds last)."""
    out = [(name, len(values)) for name, values in spec.axes.items()]
    out += [(f"zip {i}", len(next(iter(g.values())))) for i, g in enumerate(spec.zip) if g]
    if spec.random is not None:
        out.append(("random.samples", spec.random.samples))
    return [*out, ("seeds", len(spec.seeds))]


def count_trials(spec: SweepSpec) -> int:
    """How many trials ``expand`` makes (before de-duplication), computed without expanding."""
    return math.prod(n for _, n in _sizes(spec))


def _count_formula(spec: SweepSpec) -> str:
    dims = [f"{name} {n:,}" for name, n in _sizes(spec) if n != 1]
    if len(dims) > 6:  # 40 axes of 2 values: name the first few
        dims = [*dims[:4], f"... ({len(dims)} dimensions with more than one value)"]
    return " x ".join(dims) or "1"


def expand(spec: SweepSpec) -> list[Trial]:
    """Every combination: grid axes x zip groups x random samples x seeds (seeds innermost)."""
    n = count_trials(spec)  # a spec built with model_construct skips the validators
    if n > MAX_TRIALS:
        raise ConfigError(f"the sweep expands to {n:,} trials, more than {MAX_TRIALS:,}")
    dims: list[list[tuple[list[tuple[str, Any]], dict[str, Any]]]] = []
    for name, values in spec.axes.items():
        if isinstance(values, dict):  # named choices, each setting several keys
            dims.append([(list(sets.items()), {name: label}) for label, sets in values.items()])
        else:
            dims.append([([(name, v)], {name: _show(v)}) for v in values])
    for group in spec.zip:
        keys = list(group)
        n = len(group[keys[0]])
        dims.append(
            [
                ([(k, group[k][i]) for k in keys], {k: _show(group[k][i]) for k in keys})
                for i in range(n)
            ]
        )
    if spec.random is not None:
        rng = random.Random(spec.random.seed)
        samples = []
        for _ in range(spec.random.samples):
            point = [(k, ax.sample(rng)) for k, ax in spec.random.axes.items()]
            samples.append((point, {k: _show(v) for k, v in point}))
        dims.append(samples)
    dims.append([([(k, s) for k in spec.seed_keys], {"seed": s}) for s in spec.seeds])
    trials = []
    for combo in itertools.product(*dims):
        overrides: list[tuple[str, Any]] = []
        axes: dict[str, Any] = {}
        for ov, shown in combo:
            overrides += ov
            axes.update(shown)
        trials.append(Trial(overrides=overrides, axes=axes))
    return trials


def plan_trials(
    sweep: LoadedSweep, *, catalogue: Any = None, check_names: bool = True
) -> list[Trial]:
    """Expand the sweep and resolve every trial's config; raise ConfigError naming bad trials.

    Trials resolving to the same config (same hash) are kept once.
    """
    from sen_core.config import load_run_config

    base = sweep.base_ref
    problems: list[str] = []
    seen: dict[str, Trial] = {}
    for i, trial in enumerate(expand(sweep.spec)):
        # Component names only change when an axis sets them: look them up once otherwise.
        names = check_names and (i == 0 or any(_sets_names(k) for k, _ in trial.overrides))
        try:
            config = load_run_config(
                base,
                [*sweep.spec.overrides, *trial.overrides],
                catalogue=catalogue,
                check_names=names,
            )
        except ConfigError as exc:
            where = ", ".join(f"{k}={v}" for k, v in trial.axes.items())
            problems += [f"trial ({where}): {p}" for p in exc.problems] or [str(exc)]
            continue
        trial.id = config.hash()
        trial.config = config.model_dump(mode="json")
        seen.setdefault(trial.id, trial)
    if problems:
        raise ConfigError(
            f"sweep {sweep.label}: {count(len(problems), 'trial config problem')}:", problems[:50]
        )
    return list(seen.values())


def _sets_names(key: str) -> bool:
    return key in ("model", "model.block", "data") or key.startswith(
        ("model.neurons", "model.heads", "data.")
    )
