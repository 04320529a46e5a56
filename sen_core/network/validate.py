"""Validate and resolve a NetworkSpec against the catalogue before anything is built.

Every problem is collected (with its key path, e.g. ``model.neurons[1].input``) and reported at
once in one ConfigError. Component names and the anchor are checked by the same functions config
validation uses (``catalogue.lookup_component`` / ``network.spec.anchor_problem``). The result is the
resolved spec (explicit keys, default params merged)
whose canonical JSON hash identifies the architecture, plus the component specs it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sen_core.catalogue import Catalogue, import_ref, lookup_component
from sen_core.errors import ConfigError, SenError, count
from sen_core.network.spec import HeadEntry, NetworkSpec, NeuronEntry, anchor_problem
from sen_core.params import param_problems
from sen_core.specs import BlockSpec, EncoderSpec, HeadSpec

__all__ = [
    "PER_SAMPLE_TEXT",
    "TEXT_SOURCES",
    "VISUAL_SOURCES",
    "ResolvedNetwork",
    "resolve_network",
    "spec_problems_from_pydantic",
]

VISUAL_SOURCES = ("video", "frames")
TEXT_SOURCES = ("caption", "question", "query", "class_names")
PER_SAMPLE_TEXT = ("caption", "question", "query")
_ALLOWED_INPUTS = {
    "image": VISUAL_SOURCES,
    "video": VISUAL_SOURCES,
    "text": TEXT_SOURCES,
    "audio": ("audio",),
}
# Which text a head with needs=("text",) reads, by task (a head param ``text_input`` overrides).
TASK_TEXT = {
    "retrieval": "caption",
    "moments": "query",
    "moment_retrieval": "query",
    "highlights": "query",
    "qa": "question",
    "video_qa": "question",
    "videoqa": "question",
}


@dataclass(frozen=True)
class ResolvedNetwork:
    """A validated spec and the catalogue specs of everything it names."""

    spec: NetworkSpec
    encoders: dict[str, EncoderSpec]
    block: BlockSpec
    heads: dict[str, HeadSpec]

    def promptable(self, key: str) -> bool:
        """Whether the neuron is re-encoded with prompts in this network."""
        n = self.spec.neuron(key)
        return (
            self.block.recursive
            and self.spec.depth > 0
            and n.prompt
            and self.encoders[key].prompting != "none"
            and n.input not in ("caption", "class_names")
        )

    def integrated(self, key: str) -> bool:
        """Caption neurons stay out of the state (that would leak the retrieval target)."""
        return self.spec.neuron(key).input != "caption"

    def components(self) -> dict[str, dict[str, Any]]:
        """name -> {kind, plugin, distribution, version} for every component the network uses."""
        out: dict[str, dict[str, Any]] = {}
        specs: list[EncoderSpec | BlockSpec | HeadSpec] = [
            *self.encoders.values(),
            self.block,
            *self.heads.values(),
        ]
        for s in specs:
            p = s.provenance
            out[s.name] = {
                "kind": s.kind,
                "plugin": p.plugin if p else None,
                "distribution": p.distribution if p else None,
                "version": p.version if p else None,
            }
        return out


def _loc(loc: tuple[Any, ...]) -> str:
    out = "model"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def spec_problems_from_pydantic(exc: ValidationError) -> list[str]:
    """Pydantic errors as 'model.key.path: message' lines."""
    return [f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]


def _effective_trainable(entry: NeuronEntry, path: str, problems: list[str]) -> str:
    t_param = entry.params.get("trainable")
    if t_param is None:
        return entry.trainable
    if entry.trainable not in ("none", t_param):
        problems.append(
            f"{path}: trainable is {entry.trainable!r} but params.trainable is {t_param!r}; set one of them"
        )
    if t_param not in ("none", "prompts", "norms", "all"):
        problems.append(
            f"{path}.params.trainable: {t_param!r}; expected one of 'none', 'prompts', 'norms', 'all'"
        )
        return entry.trainable
    return str(t_param)


def resolve_network(spec: NetworkSpec | dict[str, Any], catalogue: Catalogue) -> ResolvedNetwork:
    """Check ``spec`` against ``catalogue``; raise ConfigError listing every problem."""
    if not isinstance(spec, NetworkSpec):
        try:
            spec = NetworkSpec.model_validate(spec)
        except ValidationError as exc:
            raise _error(spec_problems_from_pydantic(exc)) from None
    problems: list[str] = []
    encoders: dict[str, EncoderSpec] = {}
    neurons: list[NeuronEntry] = []
    for i, n in enumerate(spec.neurons):
        path = f"model.neurons[{i}]"
        trainable = _effective_trainable(n, path, problems)
        es, problem = lookup_component(catalogue, n.name, "encoder")
        if problem is not None:
            problems.append(f"{path}.name: {problem}")
            continue
        allowed = _ALLOWED_INPUTS.get(es.modality, ())
        if n.input not in allowed:
            problems.append(
                f"{path}.input: '{n.name}' is a {es.modality} encoder and cannot read '{n.input}'; "
                f"expected one of {', '.join(allowed) or 'nothing'}"
            )
        problems += param_problems(es, n.params, f"{path}.params")
        params = {k: v for k, v in {**es.params, **n.params}.items() if k != "trainable"}
        encoders[n.id] = es
        neurons.append(n.model_copy(update={"key": n.id, "params": params, "trainable": trainable}))

    bad_anchor = anchor_problem(spec.anchor, [n.id for n in spec.neurons])
    if bad_anchor is not None:
        problems.append(f"model.anchor: {bad_anchor}")
    elif spec.anchor in encoders:
        a, es = spec.neuron(spec.anchor), encoders[spec.anchor]
        if a.input not in VISUAL_SOURCES or es.modality not in ("image", "video"):
            problems.append(
                f"model.anchor: '{spec.anchor}' reads '{a.input}' ({es.modality}); "
                "the anchor must be a visual neuron (video or frames)"
            )

    block, block_params = _check_block(spec, encoders, catalogue, problems)
    heads, head_entries = _check_heads(spec, encoders, catalogue, problems)
    if problems:
        raise _error(problems)
    resolved = spec.model_copy(
        update={"neurons": neurons, "block_params": block_params, "heads": head_entries}
    )
    # Round-trip through validation so the resolved spec is a plain, hashable NetworkSpec.
    resolved = NetworkSpec.model_validate(resolved.model_dump(mode="json"))
    assert block is not None  # no problems, so the block resolved
    return ResolvedNetwork(spec=resolved, encoders=encoders, block=block, heads=heads)


def _error(problems: list[str]) -> ConfigError:
    return ConfigError(f"invalid network spec ({count(len(problems))}):", problems)


def _check_block(
    spec: NetworkSpec, encoders: dict[str, EncoderSpec], catalogue: Catalogue, problems: list[str]
) -> tuple[BlockSpec | None, dict[str, Any]]:
    block, problem = lookup_component(catalogue, spec.block, "block")
    if problem is not None:
        problems.append(f"model.block: {problem}")
        return None, dict(spec.block_params)
    params = {**block.params, **spec.block_params}
    problems += param_problems(block, spec.block_params, "model.block_params")
    if not block.recursive and spec.depth > 0:
        problems.append(
            f"model.depth: {spec.depth}, but '{block.name}' is not recursive (a single pass); set depth: 0"
        )
    promptable = [
        n.id
        for n in spec.neurons
        if n.id in encoders
        and n.prompt
        and encoders[n.id].prompting != "none"
        and n.input not in ("caption", "class_names")
    ]
    if block.needs_prompting and not promptable:
        problems.append(
            f"model.block: '{block.name}' needs a promptable neuron (prompting tokens or film, "
            "prompt: true, not reading caption or class_names); none of "
            f"{', '.join(n.id for n in spec.neurons)} is one"
        )
    try:
        factory = import_ref(block.factory)
    except Exception as exc:  # noqa: BLE001 - a broken plugin: report, do not crash the validation
        problems.append(
            f"model.block: cannot import factory '{block.factory}' of '{block.name}': "
            f"{type(exc).__name__}: {exc}"
        )
        return block, params
    check = getattr(factory, "check_params", None)
    if check is not None:
        try:
            msgs = check(params, depth=spec.depth)
        except SenError as exc:
            msgs = [str(exc)]
        problems.extend(f"model.block_params.{m}" for m in msgs)
    return block, params


def _check_heads(
    spec: NetworkSpec, encoders: dict[str, EncoderSpec], catalogue: Catalogue, problems: list[str]
) -> tuple[dict[str, HeadSpec], list[HeadEntry]]:
    sources = {
        n.input for n in spec.neurons if n.id in encoders and encoders[n.id].modality == "text"
    }
    anchor = spec.neuron(spec.anchor) if spec.anchor in encoders else None
    heads: dict[str, HeadSpec] = {}
    entries: list[HeadEntry] = []
    for i, h in enumerate(spec.heads):
        path = f"model.heads[{i}]"
        hs, problem = lookup_component(catalogue, h.name, "head")
        if problem is not None:
            problems.append(f"{path}.name: {problem}")
            continue
        heads[h.id] = hs
        problems += param_problems(hs, h.params, f"{path}.params")
        entries.append(h.model_copy(update={"key": h.id, "params": {**hs.params, **h.params}}))
        for need in hs.needs:
            if need == "class_names" and "class_names" not in sources:
                problems.append(
                    f"{path}: '{hs.name}' needs a text neuron reading 'class_names' "
                    "(add a text encoder with input: class_names)"
                )
            elif need == "text":
                want = {**hs.params, **h.params}.get("text_input") or TASK_TEXT.get(hs.task)
                if want and want not in sources:
                    problems.append(
                        f"{path}: '{hs.name}' needs a text neuron reading '{want}' "
                        f"(add a text encoder with input: {want})"
                    )
                elif not want and not sources & set(PER_SAMPLE_TEXT):
                    problems.append(
                        f"{path}: '{hs.name}' needs a text neuron reading caption, question or query"
                    )
            elif need in ("frames", "spatial") and anchor is not None:
                es = encoders[anchor.id]
                if es.layout.kind != "frames":
                    problems.append(
                        f"{path}: '{hs.name}' needs per-frame features, but the anchor "
                        f"'{anchor.id}' has a '{es.layout.kind}' token layout"
                    )
                elif need == "spatial":
                    tpf = {**es.params, **anchor.params}.get("tokens_per_frame", "all")
                    if es.layout.grid is None or tpf != "all":
                        problems.append(
                            f"{path}: '{hs.name}' needs the anchor's patch grid; set "
                            f"tokens_per_frame: all on neuron '{anchor.id}' (now {tpf!r})"
                        )
    return heads, entries
