"""``build_network``: NetworkSpec -> validated, resolved -> neurons, block and heads -> network.

Validation runs first and reports every spec problem at once; then each component is built by
its catalogue factory (neurons through the same path as ``sen_core.neuron.build_neuron``). Frozen
neurons with the same encoder and params (e.g. one text model reading captions and class names)
share one module: its weights are held once.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from sen_core import catalogue as _catalogue
from sen_core.catalogue import Catalogue, import_ref
from sen_core.errors import ConfigError, SenError, count
from sen_core.network.block import NeuronInfo, RABlock
from sen_core.network.head import Head
from sen_core.network.memory import check_fits
from sen_core.network.network import SuperEncodingNetwork
from sen_core.network.spec import NetworkSpec, stable_hash
from sen_core.network.validate import ResolvedNetwork, resolve_network
from sen_core.neuron import SuperNeuron
from sen_core.neuron.probe import shape_problem
from sen_core.params import call_factory

__all__ = ["build_network", "build_resolved"]


def build_network(
    spec: NetworkSpec | dict[str, Any], *, catalogue: Catalogue | None = None
) -> SuperEncodingNetwork:
    """Validate ``spec`` (raising ConfigError with every problem) and build the network.

    Args:
        spec: a ``NetworkSpec`` or its dict; catalogue: where names resolve (default: installed).
    """
    cat = catalogue if catalogue is not None else _catalogue.get_catalogue()
    return build_resolved(resolve_network(spec, cat))


def _raise(problems: list[str]) -> None:
    raise ConfigError(f"cannot build the network ({count(len(problems))}):", problems)


def build_resolved(resolved: ResolvedNetwork) -> SuperEncodingNetwork:
    """Build from an already validated spec."""
    spec = resolved.spec
    check_fits(spec)  # refuse before the allocator fails with a traceback
    problems: list[str] = []
    neurons: dict[str, SuperNeuron] = {}
    built: dict[
        str, SuperNeuron
    ] = {}  # frozen neurons with the same encoder and params share one module
    for i, n in enumerate(spec.neurons):
        path = f"model.neurons[{i}]"
        es = resolved.encoders[n.id]
        if hasattr(nn.ModuleDict, n.id):
            problems.append(
                f"{path}.key: '{n.id}' is reserved (a torch ModuleDict attribute); choose another key"
            )
            continue
        same = stable_hash({"name": es.name, "params": n.params}) if n.trainable == "none" else None
        if same in built:
            neurons[n.id] = built[same]
            continue
        try:
            neuron = call_factory(es, import_ref(es.factory), trainable=n.trainable, **n.params)
        except SenError as exc:
            problems.append(f"{path}: building '{es.name}' failed: {exc}")
            continue
        if not isinstance(neuron, SuperNeuron):
            problems.append(
                f"{path}: factory {es.factory} of '{es.name}' returned {type(neuron).__name__}, not a SuperNeuron"
            )
            continue
        if not neuron.width:
            problems.append(f"{path}: neuron '{es.name}' reports no output width")
        elif (shape := shape_problem(neuron, es, n.params)) is not None:
            problems.append(f"{path}: {shape}")
        slot = neuron.prompt_slot()
        if es.prompting != "none" and (slot is None or slot.kind != es.prompting):
            problems.append(
                f"{path}: '{es.name}' declares prompting={es.prompting!r} but its neuron offers "
                f"{'no prompt slot' if slot is None else repr(slot.kind) + ' prompts'}"
            )
        neurons[n.id] = neuron
        if same is not None:
            built[same] = neuron
    if problems:
        _raise(problems)

    infos = {
        k: NeuronInfo(
            key=k,
            width=neurons[k].width,
            modality=resolved.encoders[k].modality,
            source=spec.neuron(k).input,
            prompt_slot=neurons[k].prompt_slot() if resolved.promptable(k) else None,
            tokens=None if spec.neuron(k).input == "class_names" else spec.token_budget,
            anchor=k == spec.anchor,
        )
        for k in neurons
        if resolved.integrated(k)
    }
    bs = resolved.block
    block = call_factory(
        bs,
        import_ref(bs.factory),
        width=spec.width,
        neurons=infos,
        anchor=spec.anchor,
        depth=spec.depth,
        share_weights=spec.share_weights,
        attn_heads=spec.attn_heads,
        prompt_tokens=spec.prompt_tokens,
        **spec.block_params,
    )
    if not isinstance(block, RABlock):
        _raise(
            [
                f"model.block: factory {bs.factory} of '{bs.name}' returned {type(block).__name__}, not an RABlock"
            ]
        )

    heads: dict[str, Head] = {}
    for i, h in enumerate(spec.heads):
        hs = resolved.heads[h.id]
        params = dict(h.params)
        if "anchor_width" in params and params["anchor_width"] is None:
            params["anchor_width"] = neurons[
                spec.anchor
            ].width  # heads that read the anchor's native tokens
        try:
            head = call_factory(hs, import_ref(hs.factory), width=spec.width, **params)
        except SenError as exc:
            problems.append(f"model.heads[{i}]: building '{hs.name}' failed: {exc}")
            continue
        if not isinstance(head, Head):
            problems.append(
                f"model.heads[{i}]: factory {hs.factory} of '{hs.name}' returned "
                f"{type(head).__name__}, not a Head"
            )
            continue
        heads[h.id] = head
    if problems:
        _raise(problems)
    return SuperEncodingNetwork(resolved, neurons, block, heads)
