"""Encoder checks that a neuron's shortcuts give its own results: the prompt-boundary split and
the feature cache (issue 21: both were wrong for some encoders without a warning).

- ``check_split_at_every_boundary``: at every declared prompt boundary, rebuilt there with
  trained-like norm weights (random-init LayerNorms are nearly idempotent and hide a norm applied
  twice), the prompt-free suffix equals the unsplit model, the split with prompts equals a full
  prompted pass, and prompts change the output.
- ``check_cached_step_equals_uncached``: in a small network around the neuron, ``net.step(batch,
  cache)`` equals ``net(batch)``, with entries computed in one batch and read in another.
- ``check_cache_id_follows_weights``: two builds whose tokens differ (two seeds of a random init)
  never share a cache id.

Failures name the component, the check, where (boundary, output) and the expected and actual
values. Torch is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case

__all__ = ["SPLIT_CHECKS"]

_TOL = 1e-5  # relative to the largest expected magnitude (at least 1)
_INPUT = {"image": "frames", "video": "video", "text": "question"}  # what the neuron reads
_BUDGET = 4  # token budget of the network around the neuron: small, so every neuron is pooled


def _fail(case: Case, check: str, msg: str) -> AssertionError:
    return AssertionError(f"{case.name} [{check}]: {msg}")


def _diff(got: Any, want: Any) -> tuple[float, float]:
    """(max abs diff, tolerance) of two tensors; shapes must agree."""
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    return float((got - want).abs().max()) if want.numel() else 0.0, _TOL * scale


def _expect_equal(case: Case, check: str, where: str, got: Any, want: Any) -> None:
    if tuple(got.shape) != tuple(want.shape):
        raise _fail(
            case, check, f"{where}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        )
    d, tol = _diff(got, want)
    if not d <= tol:
        raise _fail(
            case, check, f"{where}: expected equal (max abs diff <= {tol:.3g}), got {d:.3g}"
        )


# ---- the prompt boundary ----------------------------------------------------------------------
def _perturb_norms(module: Any, seed: int = 5) -> None:
    """Trained-like affine weights on every normalisation layer (1 + N(0, 0.5), bias N(0, 0.5))."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if "norm" not in type(m).__name__.lower():
                continue
            for attr, base in (("weight", 1.0), ("bias", 0.0)):
                p = getattr(m, attr, None)
                if isinstance(p, torch.Tensor) and p.ndim == 1 and p.is_floating_point():
                    p.copy_(base + 0.5 * torch.randn(p.shape, generator=g).to(p))


def _takes_prompt_from(spec: Any) -> bool:
    return "prompt_from" in spec.params or "prompt_from" in (spec.param_types or {})


def check_split_at_every_boundary(case: Case) -> None:
    """At every prompt boundary (norms trained-like): prompt-free encode_suffix(encode_prefix(x))
    equals encode(x), the split with prompts equals encode(x, prompts), and prompts change it."""
    import torch

    from sen_core.neuron import build_neuron
    from sen_core.testing._encoder_base import build, prompts_for, raw_input

    name = "split_at_every_boundary"
    neuron = build(case)
    allowed = tuple(neuron.prompt_boundaries())
    if allowed != (0,) and not _takes_prompt_from(neuron.spec):
        raise _fail(
            case, name, f"declares prompt boundaries {allowed} but its spec takes no prompt_from"
        )
    raw = raw_input(neuron, case)
    if neuron.modality == "image":
        raw = raw[:, :1]  # frames are encoded one by one: one per clip is enough here
    for b in allowed:
        params = (
            {**case.params, "prompt_from": b} if _takes_prompt_from(neuron.spec) else case.params
        )
        torch.manual_seed(0)
        n = build_neuron(case.name, **params).eval()
        _perturb_norms(n)
        where = f"boundary {b} of {allowed}"
        with torch.no_grad():
            inputs = n.preprocess(raw)
            whole = n.encode(inputs)
            bnd = n.encode_prefix(inputs)
            _expect_equal(
                case, name, f"{where}, encode_prefix(x).output vs encode(x)", bnd.output.x, whole.x
            )
            free = n.encode_suffix(bnd, None)
            _expect_equal(
                case, name, f"{where}, prompt-free encode_suffix vs encode(x)", free.x, whole.x
            )
            if n.prompt_slot() is None:
                continue
            prompts = prompts_for(n)
            split = n.encode_suffix(bnd, prompts)
            full = n.encode(inputs, prompts)
            _expect_equal(
                case,
                name,
                f"{where}, prompted encode_suffix vs encode(x, prompts)",
                split.x,
                full.x,
            )
            d, _ = _diff(split.x, whole.x)
            if d <= 1e-6:
                raise _fail(
                    case,
                    name,
                    f"{where}: prompts do not change the split output (max abs diff {d:.3g})",
                )


# ---- the feature cache -----------------------------------------------------------------------
_NETS: dict[tuple[str, str, int], Any] = {}


def _network(case: Case, seed: int) -> Any:
    """The toy ViT anchor + the case's neuron (reading frames, video or a question), frozen, K=1,
    built once per process."""
    key = (case.name, repr(sorted(case.params.items())), seed)
    if key not in _NETS:
        _NETS[key] = _build_network(case, seed)
    return _NETS[key]


def _build_network(case: Case, seed: int) -> Any:
    import torch

    from sen_core.catalogue import get_catalogue
    from sen_core.network import build_network
    from sen_core.network.spec import NetworkSpec
    from sen_core.testing.toys import toy_catalogue

    cat = get_catalogue()
    spec = cat.get(case.name, kind="encoder")
    if spec.modality not in _INPUT:
        from sen_core.testing._encoder_base import SkipCheck

        raise SkipCheck(f"no network input for modality '{spec.modality}' yet")
    block = NetworkSpec.model_fields["block"].default
    net_spec = NetworkSpec.model_validate(
        {
            "neurons": [
                {"name": "toy/vit@1", "key": "anchor", "input": "frames"},
                {
                    "name": case.name,
                    "key": "n",
                    "input": _INPUT[spec.modality],
                    "params": case.params,
                },
            ],
            "anchor": "anchor",
            "depth": 1,
            "width": 32,
            "attn_heads": 2,
            "token_budget": _BUDGET,
            "prompt_tokens": 2,
        }
    )
    torch.manual_seed(seed)
    return build_network(
        net_spec, catalogue=toy_catalogue(spec, cat.get(block, kind="block"))
    ).eval()


def _first(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v if k == "class_names" else v[:1] for k, v in batch.items()}


def check_cached_step_equals_uncached(case: Case) -> None:
    """In a network around the neuron (K=1, token budget 4), net.step(batch, cache) equals
    net(batch): the first sample cached alone, then the batch (a hit and a miss), then all hits."""
    import tempfile

    import torch

    from sen_core.neuron.cache import FeatureCache
    from sen_core.testing.batches import make_network_batch

    name = "cached_step_equals_uncached"
    net = _network(case, 0)
    batch = make_network_batch()
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        want = net(batch)
        cache = FeatureCache(tmp)
        net.step(_first(batch), cache)
        for when in ("first sample cached", "all cached"):
            got, _, _ = net.step(batch, cache)
            for k, (g, w) in enumerate(zip(got.states, want.states, strict=True)):
                _expect_equal(case, name, f"{when}, state after step {k}", g, w)
            for src, w in want.text.items():
                _expect_equal(case, name, f"{when}, text feature '{src}'", got.text[src], w)
    if cache.hits == 0:
        raise _fail(case, name, "expected cache hits on the second step, got 0")


def check_cache_id_follows_weights(case: Case) -> None:
    """Two builds (seeds 0 and 1) whose tokens differ never share a feature-cache id."""
    import torch

    name = "cache_id_follows_weights"
    from sen_core.testing.batches import make_network_batch

    a, b = _network(case, 0), _network(case, 1)
    batch = make_network_batch()
    with torch.no_grad():
        ta = a.encode_step0("n", batch).x
        tb = b.encode_step0("n", batch).x
    same_tokens = ta.shape == tb.shape and float((ta - tb).abs().max()) == 0.0
    ida, idb = a.neuron_cache_id("n"), b.neuron_cache_id("n")
    if not same_tokens and ida == idb:
        raise _fail(
            case,
            name,
            "two builds (seeds 0 and 1) give different tokens but the same cache id "
            f"{ida}: expected different ids (cached tokens of one would be served to the other)",
        )


SPLIT_CHECKS = (
    check_split_at_every_boundary,
    check_cached_step_equals_uncached,
    check_cache_id_follows_weights,
)
