"""sen_core.neuron: the super-neuron runtime, the public face for encoder plugins.

``SuperNeuron`` (the base class), ``Tokens``/``Layout`` (what a neuron returns), ``PromptSlot`` and
``Boundary`` (how prompts enter and where a forward splits), the input helpers every neuron shares
(frames, texts, prompt positions) and the weight loaders. Names resolve on first use, so importing
this package does not import torch; ``cache`` (the feature cache) and ``prompting`` (mechanisms
shared by the timm-based plugins) are its submodules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sen_core._exports import lazy_getattr

if TYPE_CHECKING:
    from sen_core.neuron.base import (
        TRAINABLE_MODES,
        Boundary,
        Layout,
        PromptSlot,
        SuperNeuron,
        Tokens,
        Trainable,
        build_neuron,
        resize_frames,
        select_tokens,
        to_frames,
    )
    from sen_core.neuron.inputs import (
        check_preprocessed_frames,
        check_prompt_depth,
        check_texts,
        check_tokens_per_frame,
        frame_tokens,
        insert_tokens,
        per_frame,
        remove_tokens,
        shallow_if_single,
        video_to_frames,
    )
    from sen_core.neuron.weights import (
        SAFETENSORS_SUFFIXES,
        TORCH_SUFFIXES,
        LoadReport,
        load_into,
        load_state_dict_file,
        unwrap_state_dict,
    )

_WHERE = {
    "sen_core.neuron.base": (
        "TRAINABLE_MODES",
        "Boundary",
        "Layout",
        "PromptSlot",
        "SuperNeuron",
        "Tokens",
        "Trainable",
        "build_neuron",
        "resize_frames",
        "select_tokens",
        "to_frames",
    ),
    "sen_core.neuron.inputs": (
        "check_preprocessed_frames",
        "check_prompt_depth",
        "check_texts",
        "check_tokens_per_frame",
        "frame_tokens",
        "insert_tokens",
        "per_frame",
        "remove_tokens",
        "shallow_if_single",
        "video_to_frames",
    ),
    "sen_core.neuron.weights": (
        "SAFETENSORS_SUFFIXES",
        "TORCH_SUFFIXES",
        "LoadReport",
        "load_into",
        "load_state_dict_file",
        "unwrap_state_dict",
    ),
}
__all__ = [
    "SAFETENSORS_SUFFIXES",
    "TORCH_SUFFIXES",
    "TRAINABLE_MODES",
    "Boundary",
    "Layout",
    "LoadReport",
    "PromptSlot",
    "SuperNeuron",
    "Tokens",
    "Trainable",
    "build_neuron",
    "check_preprocessed_frames",
    "check_prompt_depth",
    "check_texts",
    "check_tokens_per_frame",
    "frame_tokens",
    "insert_tokens",
    "load_into",
    "load_state_dict_file",
    "per_frame",
    "remove_tokens",
    "resize_frames",
    "select_tokens",
    "shallow_if_single",
    "to_frames",
    "unwrap_state_dict",
    "video_to_frames",
]
__getattr__ = lazy_getattr(__name__, _WHERE, __all__)
