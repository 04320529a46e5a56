"""Prompt tokens for Hugging Face encoders, through hooks on the model's own modules.

Prompts enter at the input of layer ``start`` (the prompt boundary, 0 by default): a forward hook on
``model.embeddings`` makes room for M tokens at position ``at`` (after CLS; 0 for models without
one) once the tokens are embedded (so real tokens keep their position ids and the model builds its
attention mask for L + M positions), and the forward pre-hook of layer ``start`` writes the
prompts there, after anything the model runs between its embeddings and its first layer (CLIP's
``pre_layrnorm``). Pre-hooks on the later layers replace those positions with the next layer's
prompts (VPT-deep). Outside ``applied(...)`` and ``from_boundary(...)`` every hook is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from sen_core.errors import ConfigError
from sen_core.neuron import (
    Boundary,
    PromptSlot,
    SuperNeuron,
    Tokens,
    insert_tokens,
    remove_tokens,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["PromptHooks", "layer_list"]

_LAYER_PATHS = ("encoder.layer", "encoder.layers", "layers", "layer")


def layer_list(model: nn.Module) -> nn.ModuleList:
    """The model's stack of transformer layers (its location differs between architectures)."""
    layers = model.get_submodule(_layer_path(model))
    assert isinstance(layers, nn.ModuleList)  # _layer_path found a ModuleList there
    return layers


def _layer_path(model: nn.Module) -> str:
    for path in _LAYER_PATHS:
        try:
            mod = model.get_submodule(path)
        except AttributeError:
            continue
        if isinstance(mod, nn.ModuleList) and len(mod) > 0:
            return path
    raise ConfigError(
        f"{type(model).__name__} has no layer list at any of {_LAYER_PATHS}; cannot prompt it"
    )


class PromptHooks:
    """Hooks that feed shallow (B, M, D) or deep (B, depth, M, D) prompts into ``model``.

    The model can run in two parts: ``captured()`` records the hidden states entering layer
    ``start`` during a prompt-free forward, and ``from_boundary(h)`` runs only layers ``start..``
    with ``h`` as the input of layer ``start`` -- the same place it was recorded, so whatever the
    model runs between its embeddings and its layers (CLIP's ``pre_layrnorm``) is not applied to
    it twice. The model still builds its attention mask and final norm/pooling itself.
    """

    def __init__(self, model: nn.Module, *, at: int) -> None:
        self.at = at
        self.model = model
        self._path = _layer_path(model)
        self.layers = layer_list(model)
        self.depth = len(self.layers)
        self.start = 0
        self._prompts: Tensor | None = None
        self._boundary: Tensor | None = None
        self._captured: list[Tensor] | None = None
        model.get_submodule("embeddings").register_forward_hook(self._insert)
        for i in range(self.depth):
            self.layers[i].register_forward_pre_hook(self._replacer(i), with_kwargs=True)

    def _insert(self, module: nn.Module, args: Any, out: Any) -> Tensor | None:
        """Embeddings output + room for the prompts (overwritten at layer ``start``)."""
        p = self._prompts
        if p is None:
            return None
        if not isinstance(out, Tensor):
            raise ConfigError(
                f"{type(module).__name__} returns {type(out).__name__}; expected a tensor to prompt"
            )
        return insert_tokens(out, p[:, 0] if p.ndim == 4 else p, self.at)

    def _enter(self, h: Tensor) -> Tensor:
        """The input of layer ``start``: the boundary hidden states in place of the model's own
        (positions past a cached, unpadded boundary are masked padding and stay), then the
        prompts (the first set of deep prompts) at ``at``."""
        p, bnd = self._prompts, self._boundary
        m = 0 if p is None else p.shape[-2]
        base = remove_tokens(h, self.at, m) if m else h
        if bnd is not None:
            base = torch.cat([bnd.to(base.dtype), base[:, bnd.shape[1] :]], dim=1)
        if p is None:
            return base
        return insert_tokens(base, p[:, 0] if p.ndim == 4 else p, self.at)

    @contextmanager
    def captured(self) -> Iterator[list[Tensor]]:
        """Within the block, the hidden states entering layer ``start`` are appended to the list."""
        self._captured = []
        try:
            yield self._captured
        finally:
            self._captured = None

    @contextmanager
    def from_boundary(self, hidden: Tensor) -> Iterator[None]:
        """Within the block the model runs layers ``start..`` on ``hidden`` (B, L, D)."""
        parent, _, attr = self._path.rpartition(".")
        owner = self.model.get_submodule(parent) if parent else self.model
        full = getattr(owner, attr)
        setattr(owner, attr, nn.ModuleList(list(full)[self.start :]))
        self._boundary = hidden
        try:
            yield
        finally:
            self._boundary = None
            setattr(owner, attr, full)

    def _replacer(self, i: int):
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
            h = args[0] if args else kwargs["hidden_states"]
            p = self._prompts
            if i == self.start:
                if self._captured is not None:
                    self._captured.append(h)
                if p is None and self._boundary is None:
                    return None
                h = self._enter(h)
            elif p is not None and p.ndim == 4 and i > self.start:  # VPT-deep: this layer's set
                at, m = self.at, p.shape[-2]
                h = torch.cat([h[:, :at], p[:, i - self.start].to(h.dtype), h[:, at + m :]], dim=1)
            else:
                return None
            if args:
                return (h, *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": h}

        return hook

    @contextmanager
    def applied(self, prompts: Tensor | None) -> Iterator[None]:
        """Within the block the model runs with ``prompts`` inserted; None = the plain model."""
        self._prompts = prompts
        try:
            yield
        finally:
            self._prompts = None


class HFPromptedNeuron(SuperNeuron):
    """Shared tail of the transformers neurons: prompt hooks, the prompt slot, freezing, and the
    split at the prompt boundary (subclasses' ``encode`` runs the model inside the hooks)."""

    suffix_reads_inputs = True  # the suffix re-runs the model's own forward on its inputs

    def _setup_prompting(
        self, model: PreTrainedModel, *, at: int, deep: bool, prompt_from: int = 0
    ) -> None:
        """Width from the config, hooks that insert M prompts at position ``at``, then freeze."""
        self.width = int(model.config.hidden_size)
        self._hooks = PromptHooks(model, at=at)
        self.init_prompt_from(prompt_from)
        self._hooks.start = prompt_from
        depth = self._hooks.depth - prompt_from
        self._slot = PromptSlot(kind="tokens", dim=self.width, depth=depth if deep else 1)
        self.apply_trainable(model)
        self.train()

    def prompt_slot(self) -> PromptSlot | None:
        return self._slot

    def prompt_boundaries(self) -> tuple[int, ...]:
        return tuple(range(self._hooks.depth))

    @property
    def splits(self) -> bool:
        return True

    def _hidden_mask(self, inputs: Any, hidden: Tensor) -> Tensor | None:
        """(B, L) validity of the boundary tokens (text: the attention mask), or None."""
        return None

    def encode_prefix(self, inputs: Any) -> Boundary:
        """One prompt-free forward that also records the hidden states entering layer
        ``prompt_from``, batch first: (B, L, D), or (B, T, L, D) for frame batches."""
        with self._hooks.captured() as seen:
            out = self.encode(inputs, None)
        h = seen[0]
        b = out.x.shape[0]
        hidden = h if h.shape[0] == b else h.reshape(b, h.shape[0] // b, *h.shape[1:])
        return Boundary(
            output=out, hidden=hidden, mask=self._hidden_mask(inputs, hidden), inputs=inputs
        )

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        if boundary.hidden is None:
            return super().encode_suffix(boundary, prompts)
        h = boundary.hidden
        with self._hooks.from_boundary(h.flatten(0, 1) if h.ndim == 4 else h):
            return self.encode(boundary.inputs, prompts)

    def _late(self, inputs: Any, prompts: Tensor | None) -> bool:
        """Whether ``encode`` must run as prefix + suffix (prompts entering after layer 0)."""
        return prompts is not None and self.prompt_from > 0 and self._hooks._boundary is None
