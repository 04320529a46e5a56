"""NetworkSpec (public): the declarative description of a network.

Pure pydantic (no torch). The graph builder (sen_core.network) turns a NetworkSpec into a module;
a run (sen_core.config.run_config.RunConfig) wraps one. The canonical JSON hash of a spec identifies the
architecture.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from sen_core.errors import suggest
from sen_core.specs import Frozen, Trainable

InputSource = Literal["video", "frames", "caption", "question", "query", "class_names", "audio"]
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# As strict as TrainSpec: a boolean is not a number (``prompt_tokens: true`` is refused, not read
# as 1), a float is not an integer (``attn_heads: 2.0``), every float is finite, every size bounded.
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
MAX_LOSS_WEIGHT = 1e3  # a loss weight scales gradients: far above any real one, far below overflow


def default_key(name: str) -> str:
    """'sen/minilm-l6@1' -> 'minilm_l6'; 'open_clip/ViT-B-32/image' -> 'vit_b_32_image'."""
    parts = name.split("@", maxsplit=1)[0].split("/")[1:]
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_") or "neuron"


class NeuronEntry(Frozen):
    """One super neuron in the network and the input it reads."""

    model_config = _STRICT

    name: str
    key: str | None = Field(
        default=None, description="id inside the network; default from the name"
    )
    input: InputSource
    params: dict[str, Any] = Field(default_factory=dict)
    trainable: Trainable = "none"
    prompt: bool = Field(
        default=True, description="receive prompts when the block distributes them"
    )

    @field_validator("key")
    @classmethod
    def _check_key(cls, v: str | None) -> str | None:
        if v is not None and not _KEY_RE.match(v):
            raise ValueError(f"key {v!r} must be an identifier (letters, digits, _)")
        return v

    @property
    def id(self) -> str:
        return self.key or default_key(self.name)


class HeadEntry(Frozen):
    """A task head with its loss weight."""

    model_config = _STRICT

    name: str
    key: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(default=1.0, ge=0.0, le=MAX_LOSS_WEIGHT)

    @property
    def id(self) -> str:
        return self.key or default_key(self.name)


class NetworkSpec(Frozen):
    """Which neurons, which anchor, which RA block, how deep, how wide, which heads.

    Strict, with every size bounded (docs/configs.md#bounds): the bounds are far above any network
    that trains on one machine and keep a typo from reaching the allocator.
    """

    model_config = _STRICT

    neurons: list[NeuronEntry] = Field(min_length=1, max_length=64)
    anchor: str = Field(description="key of the neuron whose tokens initialise the state")
    block: str = "sen/ra-cross@1"
    block_params: dict[str, Any] = Field(default_factory=dict)
    depth: int = Field(default=3, ge=0, le=16)
    share_weights: bool = True
    width: int = Field(default=256, ge=8, le=16384)
    attn_heads: int = Field(default=4, ge=1, le=256)
    token_budget: int = Field(
        default=64, ge=1, le=16384, description="max tokens per neuron entering integration"
    )
    prompt_tokens: int = Field(default=4, ge=1, le=1024)
    heads: list[HeadEntry] = Field(default_factory=list, max_length=64)
    distill_weight: float = Field(default=0.0, ge=0.0, le=MAX_LOSS_WEIGHT)
    checkpointing: bool = False
    # Added after configs were saved: left out of dumps and hashes at their defaults, so existing
    # run dirs and checkpoints keep their hashes.
    pool: Literal["mean", "trend"] = Field(
        default="mean",
        exclude_if=lambda v: v == "mean",
        description="how the state becomes `pooled`: 'mean' of its tokens, or 'trend': the mean "
        "plus a learned map (zero at init) of the least-squares temporal slope of the per-frame "
        "means, which keeps the frame order a mean discards",
    )
    grad_steps: int | None = Field(
        default=None,
        ge=1,
        le=16,
        exclude_if=lambda v: v is None,
        description="backpropagate through the prompted re-encodings of only the last N RA steps "
        "(truncated backpropagation; None: all K)",
    )

    @model_validator(mode="after")
    def _unique_keys(self) -> NetworkSpec:
        ids = [n.id for n in self.neurons]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"neuron keys must be unique; repeated: {dup} (set 'key' on each)")
        hids = [h.id for h in self.heads]
        hdup = sorted({i for i in hids if hids.count(i) > 1})
        if hdup:
            raise ValueError(f"head keys must be unique; repeated: {hdup} (set 'key' on each)")
        if self.width % self.attn_heads:
            raise ValueError(
                f"width {self.width} must be divisible by attn_heads {self.attn_heads}"
            )
        return self

    def neuron(self, key: str) -> NeuronEntry:
        """The neuron entry with id ``key``.

        Args:
            key: a neuron id.
        """
        for n in self.neurons:
            if n.id == key:
                return n
        raise KeyError(key)

    def canonical_json(self) -> str:
        """The spec as canonical JSON (sorted keys, no spaces): what ``hash`` digests."""
        return canonical_json(self.model_dump(mode="json"))

    def hash(self) -> str:
        """The architecture's id: a stable hash of the canonical JSON."""
        return stable_hash(self.model_dump(mode="json"))


def canonical_json(data: Any) -> str:
    """Sorted keys, no whitespace: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def stable_hash(data: Any, length: int = 16) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:length]


def anchor_problem(anchor: str, keys: Sequence[str]) -> str | None:
    """Why ``anchor`` is not one of the neuron ``keys`` (with a did-you-mean), or None.

    The one anchor check: config validation and ``resolve_network`` both call it.
    """
    if anchor in keys:
        return None
    hint = suggest(anchor, keys)
    msg = f"anchor '{anchor}' is not the key of a neuron; the keys are {', '.join(map(repr, keys))}"
    return msg + (f" (did you mean '{hint[0]}'?)" if hint else "")
