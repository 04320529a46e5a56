"""Hook implementations of `sen_blocks` (entry point group `sen`): the RA block variants.

Specs only (no torch at import time); each factory lives in its own module beside this one.
"""

from __future__ import annotations

from sen_core.hookspecs import hookimpl
from sen_core.specs import BlockSpec

_CROSS = {"ffn_mult": 2, "zero_init_steps": True}

BLOCKS = (
    BlockSpec(
        name="sen/ra-cross@1",
        factory="sen_blocks.ra_cross:CrossRA",
        params=dict(_CROSS),
        summary="Recursive Association: gated cross-attention integrate, learned-query prompts, re-encode, K times",
        source="Chen et al. 2025, Super Encoding Network (arXiv 2506.07576), our reading of the RA block",
        tags=("recursive", "prompting"),
    ),
    BlockSpec(
        name="sen/ra-gated@1",
        factory="sen_blocks.ra_gated:GatedRA",
        params=dict(_CROSS),
        summary="RA with zero-initialised tanh gates: the untrained network equals the anchor alone",
        source="Alayrac et al. 2022, Flamingo (arXiv 2204.14198): tanh-gated cross-attention",
        tags=("recursive", "prompting", "gated"),
    ),
    BlockSpec(
        name="sen/ra-reaction-diffusion@1",
        factory="sen_blocks.ra_reaction_diffusion:ReactionDiffusionRA",
        params=_CROSS
        | {
            "dt": 1.0,
            "diffusion_u": 0.16,
            "diffusion_v": 0.08,
            "feed": 0.035,
            "kill": 0.065,
            "rd_steps": 4,
        },
        summary="RA whose state update runs Gray-Scott reaction-diffusion over time, fed by neuron relevance",
        source="Reaction-Diffusion Multimodal Fusion (arXiv 2606.01615); Gray-Scott model (Pearson 1993)",
        tags=("recursive", "prompting", "dynamics"),
    ),
    BlockSpec(
        name="sen/ra-memory@1",
        factory="sen_blocks.ra_memory:MemoryRA",
        params=_CROSS | {"memory_tokens": 8, "write_tokens": 4},
        summary="RA with bounded memory tokens carried across steps (self-attention, relevance update, read)",
        source="Yasarla et al. 2023, MAMo (arXiv 2307.14336): memory and attention for video",
        tags=("recursive", "prompting", "memory"),
    ),
    BlockSpec(
        name="sen/ra-dynamic-focus@1",
        factory="sen_blocks.ra_dynamic_focus:DynamicFocusRA",
        params=_CROSS | {"key_frames": 4, "coarse_tokens": 2, "sigma": 0.05, "samples": 32},
        summary="RA over question-chosen key frames; other frames compressed to two tokens (perturbed top-k)",
        source="Han et al. 2024, DynFocus (arXiv 2411.12355); perturbed top-k (Cordonnier et al. 2021)",
        tags=("recursive", "prompting", "token-selection"),
    ),
    BlockSpec(
        name="sen/fusion-concat@1",
        factory="sen_blocks.fusion_concat:ConcatFusion",
        params={"hidden_mult": 2},
        summary="Late-fusion baseline: concatenate pooled neuron features, MLP, add to the anchor; no recursion",
        source="late fusion as in ImageBind (arXiv 2305.05665) and torchmultimodal LateFusion",
        recursive=False,
        tags=("baseline",),
    ),
)


@hookimpl
def sen_blocks(register) -> None:
    for spec in BLOCKS:
        register(spec)
