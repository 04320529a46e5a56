"""The RA block contract (public): what a block plugin's factory receives and must return.

The network owns the neurons (encoding, adapters, re-encoding); a block owns the association:
``init_state`` (step 0 state from the adapted anchor), ``integrate`` (state <- neuron tokens) and
``distribute`` (state -> prompts). See docs/network.md "How to write a new block".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from sen_core.neuron import PromptSlot, Tokens
from sen_core.specs import BlockSpec

__all__ = ["NeuronInfo", "RABlock", "StepContext"]


@dataclass(frozen=True)
class NeuronInfo:
    """What a block knows, at build time, about one neuron that takes part in integration.

    ``width`` is the neuron's native width (the tokens a block receives are already projected to
    the state width D); ``prompt_slot`` is None when the neuron is not prompted in this network
    (prompt-free, ``prompt: false``, depth 0, or a non-recursive block); ``tokens`` is the most
    tokens it brings to integration (the token budget; None for class names: one per class).

    Attributes:
        key: the neuron's key in the network; width: its native width.
        modality: its encoder's modality; source: the input it reads ('frames', 'question', ...).
        prompt_slot: its slot when prompted here, else None.
        tokens: the most tokens it brings (None: one per class name).
        anchor: True for the anchor neuron.
    """

    key: str
    width: int
    modality: str
    source: str
    prompt_slot: PromptSlot | None = None
    tokens: int | None = None
    anchor: bool = False

    @property
    def promptable(self) -> bool:
        """True when the neuron is prompted in this network (it has a ``prompt_slot``)."""
        return self.prompt_slot is not None


@dataclass
class StepContext:
    """Per-forward information shared by the steps of one forward pass.

    ``frames`` x ``tokens_per_frame`` is the layout of the adapted anchor tokens (the default
    state); ``carry`` holds whatever a block wants to keep from one step to the next (memory
    tokens, a substrate field); a block adds auxiliary losses to ``aux`` (they join the total).

    Attributes:
        batch_size: B; frames, tokens_per_frame: the anchor layout (T, P).
        training: the network's mode.
        carry: a block's own per-forward state; aux: auxiliary losses by name.
    """

    batch_size: int
    frames: int
    tokens_per_frame: int
    training: bool
    carry: dict[str, Any] = field(default_factory=dict)
    aux: dict[str, Tensor] = field(default_factory=dict)


class RABlock(nn.Module):
    """Base class of block plugins. One instance runs every step of a network.

    Factories are called ``factory(spec, *, width, neurons, anchor, depth, share_weights,
    attn_heads, prompt_tokens, **params)``; subclasses accept the same keywords and pass them to
    ``super().__init__``. Per forward the network calls::

        state = init_state(feats, ctx)                     # (B, L, D)
        state = integrate(0, state, feats, ctx)
        for step in 1..depth:
            prompts = distribute(step, state, ctx)         # {key: prompts} for promptable neurons
            ...the network re-encodes those neurons, feats[key] = adapted new tokens...
            state = integrate(step, state, feats, ctx)

    ``feats`` maps every integrated neuron key to ``Tokens`` of width D (class names arrive as
    (B, C, D), one token per class). A subclass may also define the classmethod
    ``check_params(params, *, depth) -> list[str]`` whose messages ("param: problem")
    are reported with every other spec problem before anything is built.

    Args:
        spec: the registered ``BlockSpec``.
        width: D, the state width (every feature arrives projected to it).
        neurons: key -> ``NeuronInfo`` of every integrated neuron.
        anchor: the anchor neuron's key.
        depth: K, the number of RA steps.
        share_weights: one set of step modules for every step (``per_step`` / ``at`` honour it).
        attn_heads: attention heads for the block's attention layers.
        prompt_tokens: M, prompt tokens per promptable neuron.
    """

    def __init__(
        self,
        spec: BlockSpec,
        *,
        width: int,
        neurons: dict[str, NeuronInfo],
        anchor: str,
        depth: int,
        share_weights: bool = True,
        attn_heads: int = 4,
        prompt_tokens: int = 4,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.width = width
        self.neurons = dict(neurons)
        self.anchor = anchor
        self.depth = depth
        self.share_weights = share_weights
        self.attn_heads = attn_heads
        self.prompt_tokens = prompt_tokens

    # ---- the contract ---------------------------------------------------------------------------
    def init_state(self, feats: dict[str, Tokens], ctx: StepContext) -> Tensor:
        """The state before integration: the adapted anchor tokens (B, T * P, D).

        Args:
            feats: neuron key -> adapted Tokens (width D) at step 0.
            ctx: the forward's context.

        Returns:
            The initial state (B, L, D).
        """
        return feats[self.anchor].x

    def integrate(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        """Fold the neurons' tokens into the state (override it); called for steps 0..depth.

        Args:
            step: 0 (prompt-free features) to depth.
            state: (B, L, D).
            feats: neuron key -> adapted Tokens (width D; class names (B, C, D)).
            ctx: the forward's context (carry, aux).

        Returns:
            The new state (B, L, D).
        """
        raise NotImplementedError

    def distribute(self, step: int, state: Tensor, ctx: StepContext) -> dict[str, Tensor]:
        """Prompts for the neurons to re-encode at ``step`` (1..depth); none by default.

        Args:
            step: 1..depth.
            state: (B, L, D).
            ctx: the forward's context.

        Returns:
            key -> prompts in the shape of that neuron's ``prompt_slot`` (``prompts.Distributor``
            makes them); only keys in ``self.prompted``.
        """
        return {}

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        """Value rules on the block's params (override it), checked before anything is built.

        Args:
            params: the block's params (defaults merged).
            depth: the network's depth K.

        Returns:
            Problems as "param: what is wrong" (empty: fine).
        """
        return []

    # ---- helpers for subclasses -----------------------------------------------------------------
    @property
    def prompted(self) -> dict[str, NeuronInfo]:
        """The neurons this network re-encodes with prompts."""
        return {k: n for k, n in self.neurons.items() if n.promptable}

    def per_step(self, make: Callable[[], nn.Module], count: int) -> nn.ModuleList:
        """``count`` modules (one per step), or one shared module when weights are shared.

        Args:
            make: builds one module.
            count: steps that need one (e.g. depth + 1 integrations, depth distributions).

        Returns:
            A ModuleList of ``count`` modules, or of one (none when count is 0) when shared.
        """
        n = min(count, 1) if self.share_weights else count
        return nn.ModuleList(make() for _ in range(n))

    def at(self, modules: nn.ModuleList, index: int) -> nn.Module:
        """The module for step ``index`` (index 0 when weights are shared).

        Args:
            modules: what ``per_step`` returned.
            index: the step's index in it.

        Returns:
            The step's module.
        """
        return modules[0 if self.share_weights else index]
