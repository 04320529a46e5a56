"""The SuperEncodingNetwork: neurons + adapters + one RA block + heads, run as in DESIGN.md 4.

step 0 (step0.py) encodes every neuron without prompts, stopping a prompted neuron that splits at
its prompt boundary (or takes cached results); the block initialises and integrates the state,
then for k in 1..K it distributes prompts, the prompted neurons re-run only their layers after the
boundary and the state integrates again. Heads read the ``NetworkOutput``; ``step`` does it all.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from sen_core.errors import InputError
from sen_core.network.adapters import NeuronAdapter
from sen_core.network.block import RABlock, StepContext
from sen_core.network.distill import distill_loss
from sen_core.network.head import Head, Meter, NetworkOutput
from sen_core.network.readout import TrendReadout
from sen_core.network.spec import NetworkSpec, stable_hash
from sen_core.network.step0 import batch_field
from sen_core.network.validate import TEXT_SOURCES, ResolvedNetwork
from sen_core.neuron import Boundary, SuperNeuron, Tokens
from sen_core.neuron.cache import FeatureCache

__all__ = ["SuperEncodingNetwork"]


class SuperEncodingNetwork(nn.Module):
    """Built by ``build_network``; call ``net(batch, features=None) -> NetworkOutput``."""

    def __init__(
        self,
        resolved: ResolvedNetwork,
        neurons: dict[str, SuperNeuron],
        block: RABlock,
        heads: dict[str, Head],
    ) -> None:
        super().__init__()
        spec = resolved.spec
        self.resolved = resolved
        self.spec: NetworkSpec = spec
        self.spec_hash = spec.hash()
        self.anchor = spec.anchor
        self.depth = spec.depth
        self.width = spec.width
        self.checkpointing = spec.checkpointing
        self.distill_weight = spec.distill_weight
        self.grad_steps = spec.grad_steps
        self.sources = {n.id: n.input for n in spec.neurons}
        self.neurons = nn.ModuleDict(neurons)
        self.integrated = [k for k in neurons if resolved.integrated(k)]
        self.prompted = [k for k, n in block.neurons.items() if n.promptable]
        self.adapters = nn.ModuleDict(
            {
                k: NeuronAdapter(
                    neurons[k].width,
                    spec.width,
                    budget=spec.token_budget,
                    per_class=self.sources[k] == "class_names",
                )
                for k in self.integrated
            }
        )
        self.text_proj = nn.ModuleDict(
            {
                k: nn.Linear(neurons[k].width, spec.width)
                for k in neurons
                if self.sources[k] in TEXT_SOURCES
            }
        )
        self.block = block
        self.norm = nn.LayerNorm(spec.width)
        self.readout = TrendReadout(spec.width) if spec.pool == "trend" else None
        self.heads = nn.ModuleDict(heads)
        self.head_weights = {h.id: h.weight for h in spec.heads}

    # nn.ModuleDict hands back plain nn.Module; these say what this network put in it
    def _neuron(self, key: str) -> SuperNeuron:
        return cast(SuperNeuron, self.neurons[key])

    def _head_items(self) -> list[tuple[str, Head]]:
        return [(hid, cast(Head, head)) for hid, head in self.heads.items()]

    # ---- step 0 -------------------------------------------------------------------------------------
    def raw_input(self, key: str, batch: dict[str, Any]) -> Any:
        """The batch field neuron ``key`` reads."""
        field = batch_field(self.sources[key])
        if field not in batch:
            raise InputError(
                f"the batch has no '{field}', which neuron '{key}' reads "
                f"(batch keys: {', '.join(sorted(batch))})"
            )
        return batch[field]

    def _grad_ctx(self, key: str) -> contextlib.AbstractContextManager[None]:
        # A frozen neuron's prompt-free pass needs no graph: skip storing its activations.
        frozen = not any(p.requires_grad for p in self._neuron(key).parameters())
        return torch.no_grad() if frozen else contextlib.nullcontext()

    def encode_step0(self, key: str, batch: dict[str, Any]) -> Tokens:
        """Neuron ``key``'s prompt-free tokens (native width): what a feature cache stores."""
        with self._grad_ctx(key):
            tokens: Tokens = self._neuron(key)(self.raw_input(key, batch))
        return tokens

    def encode_boundary(self, key: str, batch: dict[str, Any]) -> Boundary:
        """Neuron ``key``'s prompt-independent work: for a prompted neuron that splits, the
        activations at its prompt boundary and its prompt-free output; else the output alone."""
        neuron = self._neuron(key)
        if key not in self.prompted:
            return Boundary(output=self.encode_step0(key, batch))
        inputs = neuron.preprocess(self.raw_input(key, batch))
        with self._grad_ctx(key):
            return neuron.encode_prefix(inputs)

    def boundary_of(self, key: str) -> int | None:
        """Where neuron ``key``'s step-0 work stops: its ``prompt_from`` when it is prompted here
        and splits, None when step 0 is the whole prompt-free encode."""
        neuron = self._neuron(key)
        return neuron.prompt_from if key in self.prompted and neuron.splits else None

    def neuron_cache_id(self, key: str) -> str:
        """Stable id of what neuron ``key`` computes at step 0: spec, params, preprocessing, a
        fingerprint of its actual weights (so a random init from another seed, another checkpoint
        or a fine-tuned copy never shares entries), and the prompt boundary when it stores
        boundary activations."""
        entry = self.spec.neuron(key)
        es = self.resolved.encoders[key]
        ident: dict[str, Any] = {
            "encoder": es.model_dump(mode="json"),
            "params": entry.params,
            "trainable": entry.trainable,
            "weights": self._neuron(key).weights_fingerprint(),
        }
        boundary = self.boundary_of(key)
        if boundary is not None:
            ident["boundary"] = boundary
        return stable_hash(ident)

    def cacheable(self, key: str) -> bool:
        """Whether ``key``'s step-0 features are fixed (a frozen neuron), so a cache may hold them."""
        return self.spec.neuron(key).trainable == "none"

    def _check_feature(self, key: str, item: Tokens | Boundary) -> Boundary:
        bnd = item if isinstance(item, Boundary) else Boundary(output=item)
        tok = bnd.output
        if not isinstance(tok, Tokens):
            raise InputError(
                f"features['{key}'] must be Tokens or a Boundary, got {type(item).__name__}"
            )
        if tok.x.shape[-1] != self._neuron(key).width:
            raise InputError(
                f"features['{key}'] has width {tok.x.shape[-1]}; neuron '{key}' "
                f"({self._neuron(key).name}) outputs width {self._neuron(key).width}"
            )
        return bnd

    def _reencode(self, key: str, boundary: Boundary, prompts: Tensor, step: int) -> Tokens:
        neuron = self._neuron(key)
        if self.grad_steps is not None and step <= self.depth - self.grad_steps:
            # truncated backpropagation: this step's re-encoding is a constant for the backward
            with torch.no_grad():
                return neuron.encode_suffix(boundary, prompts)
        if self.checkpointing and torch.is_grad_enabled():
            # Recompute the suffix in backward instead of keeping K copies of its activations.
            out: Tokens = checkpoint(neuron.encode_suffix, boundary, prompts, use_reentrant=False)
            return out
        return neuron.encode_suffix(boundary, prompts)

    # ---- forward ------------------------------------------------------------------------------------
    def step0(
        self, batch: dict[str, Any], features: dict[str, Tokens | Boundary] | None = None
    ) -> dict[str, Boundary]:
        """Every neuron's prompt-independent work (given ``features`` from a cache are used)."""
        features = features or {}
        unknown = sorted(set(features) - set(self.neurons))
        if unknown:
            raise InputError(
                f"features for unknown neuron(s) {unknown}; neurons: {', '.join(self.neurons)}"
            )
        out: dict[str, Boundary] = {}
        for key in self.neurons:
            if key in features:
                bnd = self._check_feature(key, features[key])
                if bnd.hidden is not None and self.boundary_of(key) is None:
                    raise InputError(
                        f"features['{key}'] holds boundary activations, but neuron '{key}' is "
                        "not split at a prompt boundary in this network"
                    )
                out[key] = bnd
            else:
                out[key] = self.encode_boundary(key, batch)
        return out

    def forward(
        self, batch: dict[str, Any], features: dict[str, Tokens | Boundary] | None = None
    ) -> NetworkOutput:
        boundaries = self.step0(batch, features)
        step0 = {k: v.output for k, v in boundaries.items()}
        b = step0[self.anchor].x.shape[0]
        adapted = {k: self.adapters[k](step0[k], b) for k in self.integrated}
        lay = adapted[self.anchor].layout
        ctx = StepContext(
            batch_size=b,
            frames=lay.frames,
            tokens_per_frame=lay.tokens_per_frame,
            training=self.training,
        )

        state = self.block.init_state(adapted, ctx)  # (B, L, D)
        state = self.block.integrate(0, state, adapted, ctx)
        states = [state]
        final = dict(step0)
        for step in range(1, self.depth + 1):
            prompts = self.block.distribute(step, state, ctx)
            for key, p in prompts.items():
                if key not in self.prompted:
                    raise InputError(
                        f"block '{self.block.spec.name}' sent prompts to '{key}', which is not prompted"
                    )
                bnd = boundaries[key]
                neuron = self._neuron(key)
                needs = bnd.hidden is None or neuron.suffix_reads_inputs
                if needs and bnd.inputs is None:  # the cache holds no inputs
                    bnd.inputs = neuron.preprocess(self.raw_input(key, batch))
                final[key] = self._reencode(key, bnd, p, step)
                adapted[key] = self.adapters[key](final[key], b)
            state = self.block.integrate(step, state, adapted, ctx)
            states.append(state)

        out_state = self.norm(state)
        pooled = (
            out_state.mean(1)
            if self.readout is None
            else self.readout(out_state, ctx.frames, ctx.tokens_per_frame)
        )
        text: dict[str, list[Tensor]] = {}
        for key, proj in self.text_proj.items():
            text.setdefault(self.sources[key], []).append(
                proj(final[key].pooled())
            )  # (B, D) or (C, D)
        aux = dict(ctx.aux)
        if self.distill_weight > 0:
            aux["distill"] = self._distill(adapted, final, step0)
        return NetworkOutput(
            state=out_state,
            pooled=pooled,
            features=final,
            anchor=self.anchor,
            states=states,
            text={s: torch.stack(v).mean(0) if len(v) > 1 else v[0] for s, v in text.items()},
            aux_losses=aux,
        )

    def _distill(
        self, adapted: dict[str, Tokens], final: dict[str, Tokens], step0: dict[str, Tokens]
    ) -> Tensor:
        per_sample = [k for k in self.integrated if self.sources[k] != "class_names"]
        projected = {k: adapted[k].pooled() for k in per_sample}  # (B, D)
        pairs = {k: (final[k].pooled(), step0[k].pooled()) for k in self.prompted if self.depth > 0}
        return distill_loss(projected, pairs)

    # ---- one step: network, heads, losses --------------------------------------------------------
    def step(
        self, batch: dict[str, Any], cache: FeatureCache | None = None
    ) -> tuple[NetworkOutput, dict[str, dict[str, Tensor]], dict[str, Tensor]]:
        """``(output, predictions, losses)`` for one batch: what training, evaluation, sweeps and
        the demo call. With a ``cache``, frozen neurons' step-0 work (boundary activations and
        prompt-free tokens) is read from it and only the misses are encoded."""
        features = None
        if cache is not None:
            from sen_core.network.step0 import cached_features

            device = next(self.parameters()).device
            # cached entries are shared by every trial: keep them in full precision
            with torch.autocast(device.type, enabled=False):
                features = cached_features(cache, self, batch)
        out = self(batch, features)
        preds = self.run_heads(out, batch)
        return out, preds, self.losses(out, preds, batch)

    # ---- heads --------------------------------------------------------------------------------------
    def run_heads(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, dict[str, Tensor]]:
        return {hid: head(out, batch) for hid, head in self._head_items()}

    def losses(
        self, out: NetworkOutput, preds: dict[str, dict[str, Tensor]], batch: dict[str, Any]
    ) -> dict[str, Tensor]:
        """{"total": weighted sum, "<head_id>": head loss, "distill": ..., other aux losses}."""
        losses: dict[str, Tensor] = {}
        total = out.pooled.new_zeros(())
        for hid, head in self._head_items():
            losses[hid] = head.loss(preds[hid], batch)
            total = total + self.head_weights[hid] * losses[hid]
        for name, value in out.aux_losses.items():
            losses[name] = value
            total = total + (self.distill_weight if name == "distill" else 1.0) * value
        losses["total"] = total
        return losses

    def meters(self) -> dict[str, Meter]:
        return {hid: head.meter() for hid, head in self._head_items()}
