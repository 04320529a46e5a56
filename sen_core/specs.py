"""Component specs: the pydantic models that describe every plugin-provided component.

A spec is pure data (no torch): listing the catalogue reads specs, building a component imports
its ``factory``. Specs are immutable and reject unknown keys. Public contract: see docs/plugins.md.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "KINDS",
    "NAME_RE",
    "REGISTERED_NAME_RE",
    "SPEC_TYPES",
    "BlockSpec",
    "DatasetSpec",
    "EncoderSpec",
    "FamilySpec",
    "Frozen",
    "HeadSpec",
    "Preprocess",
    "PresetSpec",
    "Provenance",
    "TokenLayout",
    "Trainable",
    "registered_name_problem",
    "split_name",
]


class Frozen(BaseModel):
    """The one base model for immutable, strict specs: every spec in sen_core derives from it.

    ``extra="forbid"`` makes an unknown key an error; ``frozen=True`` makes a spec hashable and safe
    to share between the catalogue, configs and built networks.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


# What of a neuron trains: nothing (frozen), its prompt parameters, its norm layers, or everything.
Trainable = Literal["none", "prompts", "norms", "all"]

# Any spec name: namespace/name[/more][@version] -- e.g. sen/ra-cross@1, and the names a dynamic
# family resolves (timm/vit_small_patch16_224, open_clip/ViT-B-32/image), which carry no version.
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_.+-]*)+(@[0-9]+)?$")
# A name a plugin registers: exactly namespace/name@VERSION (docs/plugins.md, "Names").
REGISTERED_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9_.+-]*@[0-9]+$")
_FACTORY_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

Modality = Literal["video", "image", "text", "audio"]
Prompting = Literal["tokens", "film", "none"]


def registered_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid registered name (``namespace/name@VERSION``), or None.

    Args:
        name: a name a plugin registers.

    Returns:
        The reason (one sentence naming the grammar), or None when it is valid.
    """
    if REGISTERED_NAME_RE.match(name):
        return None
    return (
        f"'{name}' is not 'namespace/name@VERSION' (a lower-case namespace, one '/', a name, "
        "'@' and an integer version, e.g. 'acme/tinyconv@1')"
    )


def split_name(name: str) -> tuple[str, int | None]:
    """``'sen/ra-cross@1'`` -> ``('sen/ra-cross', 1)``; no version -> ``None``.

    Args:
        name: a component name.

    Returns:
        (the name without ``@VERSION``, the version or None).
    """
    base, _, ver = name.partition("@")
    return base, int(ver) if ver else None


class Provenance(Frozen):
    """Who registered a component; filled in by the host, never by the plugin."""

    plugin: str
    distribution: str | None = None
    version: str | None = None


class TokenLayout(Frozen):
    """How an encoder's output tokens are arranged.

    ``frames`` layouts hold T x tokens_per_frame tokens (image encoders run per frame, video
    encoders per tubelet); ``sequence`` is a text/audio sequence; ``pooled`` is one token.
    """

    kind: Literal["frames", "sequence", "pooled"]
    tokens_per_frame: int | None = Field(default=None, ge=1)
    grid: tuple[int, int] | None = None
    special_tokens: int = Field(default=0, ge=0)


class Preprocess(Frozen):
    """What raw input the encoder expects: image size and normalisation, or a tokenizer."""

    image_size: int | None = Field(default=None, ge=1)
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    tokenizer: str | None = None
    max_length: int | None = Field(default=None, ge=1)
    sample_rate: int | None = Field(default=None, ge=1)


def _valid_factory(v: str) -> str:
    if not _FACTORY_RE.match(v):
        raise ValueError(f"factory {v!r} must be 'package.module:attribute'")
    return v


class _Named:
    """``namespace`` of a spec named 'namespace/...' (components and presets share it)."""

    name: str

    @property
    def namespace(self) -> str:
        return self.name.split("/", 1)[0]


class _Spec(_Named, Frozen):
    name: str
    summary: str
    factory: str
    params: dict[str, Any] = Field(
        default_factory=dict, description="defaults of the factory's params (each one is accepted)"
    )
    param_types: dict[str, str] = Field(
        default_factory=dict,
        description="type of each accepted param ('int', 'str|null', ...); declares params "
        "without a default; a param with a default takes its default's type unless listed",
    )
    param_bounds: dict[str, tuple[float | None, float | None]] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,
        description="(low, high) of numeric params, checked at validation; size-like names "
        "(image_size, frames, num_samples, ...) have bounds already (sen_core.params.SIZE_BOUNDS)",
    )
    tags: tuple[str, ...] = ()
    provenance: Provenance | None = None

    @field_validator("param_types")
    @classmethod
    def _check_param_types(cls, v: dict[str, str]) -> dict[str, str]:
        from sen_core.params import check_type_string

        for t in v.values():
            check_type_string(t)
        return v

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(
                f"name {v!r} must be namespaced and may carry a version: "
                "'namespace/name@VERSION' with a lower-case namespace, e.g. 'acme/tinyconv@1'"
            )
        return v

    @field_validator("summary")
    @classmethod
    def _check_summary(cls, v: str) -> str:
        v = v.strip()
        if not v or "\n" in v or len(v) > 160:
            raise ValueError("summary must be one non-empty line of at most 160 characters")
        return v

    @field_validator("factory")
    @classmethod
    def _check_factory(cls, v: str) -> str:
        return _valid_factory(v)


class EncoderSpec(_Spec):
    """A super neuron: a pretrained encoder wrapped to the runtime contract."""

    kind: Literal["encoder"] = "encoder"
    modality: Modality
    width: int | None = Field(default=None, ge=1, description="output token width D")
    layout: TokenLayout
    preprocess: Preprocess = Preprocess()
    prompting: Prompting = "none"


class BlockSpec(_Spec):
    """A Recursive Association block variant (or a non-recursive baseline)."""

    kind: Literal["block"] = "block"
    recursive: bool = True
    needs_prompting: bool = False
    source: str | None = Field(
        default=None, description="paper or codebase the mechanism comes from"
    )


class HeadSpec(_Spec):
    """A task head: reads the network output, returns predictions, a loss and metrics."""

    kind: Literal["head"] = "head"
    task: str
    needs: tuple[Literal["text", "spatial", "frames", "class_names", "lm"], ...] = ()
    metrics: tuple[str, ...] = ()


class DatasetSpec(_Spec):
    """A dataset: yields batches in the schema of docs/tasks.md."""

    kind: Literal["dataset"] = "dataset"
    tasks: tuple[str, ...] = ()
    splits: tuple[str, ...] | None = Field(
        default=("train", "val", "test"),
        description="the split names the dataset has (train.eval_split and `sen eval --split` are "
        "checked against them); None: any name (e.g. the split selects a file)",
    )

    def split_problem(self, split: str) -> str | None:
        """Why ``split`` is not a split of this dataset (with a did-you-mean), or None.

        Args:
            split: a split name from a config or the command line.

        Returns:
            One sentence naming the dataset and its splits, or None when the split exists.
        """
        if self.splits is None or split in self.splits:
            return None
        from sen_core.errors import suggest

        hint = suggest(split, self.splits)
        return (
            f"{split!r} is not a split of dataset '{self.name}' (it has {', '.join(self.splits)})"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
        )


class PresetSpec(_Named, Frozen):
    """A named declarative config (network or sweep) shipped as YAML inside a package."""

    kind: Literal["preset"] = "preset"
    name: str
    summary: str
    preset_kind: Literal["network", "run", "sweep"]
    resource: str = Field(description="'package:relative/path.yaml'")
    tags: tuple[str, ...] = ()
    provenance: Provenance | None = None

    _check_name = _Spec._check_name
    _check_summary = _Spec._check_summary

    @field_validator("resource")
    @classmethod
    def _check_resource(cls, v: str) -> str:
        if ":" not in v or not v.split(":", 1)[1]:
            raise ValueError(f"resource {v!r} must be 'package:relative/path.yaml'")
        return v


class FamilySpec(Frozen):
    """A dynamic family: every name under ``namespace/`` is resolved on demand.

    ``lister`` ("module:attr") returns all names in the family (it may import the library);
    ``resolver`` ("module:attr") turns one name into a full spec, or raises UnknownNameError.
    ``locator`` ("module:attr", optional) turns one name into ``'file:line'`` of the library's own
    code for it (``sen show``). None of them runs when the plain catalogue is listed.
    """

    kind: Literal["family"] = "family"
    family_of: Literal["encoder", "block", "head", "dataset"] = "encoder"
    namespace: str = Field(pattern=r"^[a-z][a-z0-9_-]*(/[A-Za-z0-9_.+-]+)*$")
    summary: str
    lister: str
    resolver: str
    locator: str | None = None
    examples: tuple[str, ...] = ()
    provenance: Provenance | None = None

    _check_summary = _Spec._check_summary

    @field_validator("lister", "resolver", "locator")
    @classmethod
    def _check_ref(cls, v: str | None) -> str | None:
        if v is None:
            return v
        return _valid_factory(v)

    @property
    def name(self) -> str:
        """``namespace/*``: how listings show the family."""
        return f"{self.namespace}/*"


SPEC_TYPES: dict[str, type[BaseModel]] = {
    "encoder": EncoderSpec,
    "block": BlockSpec,
    "head": HeadSpec,
    "dataset": DatasetSpec,
    "preset": PresetSpec,
    "family": FamilySpec,
}
KINDS = ("encoder", "block", "head", "dataset", "preset")
