"""The timm/* dynamic family: registration, listing by pattern, resolving names, unknown names."""

from __future__ import annotations

import pytest

from sen_core.catalogue import get_catalogue
from sen_core.errors import UnknownNameError
from sen_timm import family


def test_plugin_registers_family_and_lite0():
    """The timm plugin registers the timm/* family and the EfficientNet-Lite0 neuron."""
    cat = get_catalogue()
    fam = {f.namespace: f for f in cat.families("encoders")}["timm"]
    assert (fam.lister, fam.resolver) == ("sen_timm.family:list_names", "sen_timm.family:resolve")
    spec = cat.get("sen/efficientnet-lite0-imagenet@1")
    assert (spec.modality, spec.prompting, spec.width, spec.preprocess.image_size) == (
        "image",
        "film",
        1280,
        224,
    )
    assert spec.provenance.plugin == "timm"


def test_list_names_uses_timm_wildcards():
    """list_names takes catalogue patterns with or without the timm/ prefix."""
    names = family.list_names("timm/vit_tiny_patch16_*")
    assert "timm/vit_tiny_patch16_224" in names and "timm/vit_tiny_patch16_384" in names
    assert all(n.startswith("timm/vit_tiny_patch16_") for n in names)
    assert family.list_names("resnet18") == family.list_names("*resnet18*")  # bare word = substring


def test_catalogue_expands_family_patterns():
    """`sen list encoders 'timm/convnext_at*'` resolves each timm name to a full spec."""
    specs = get_catalogue().list("encoders", "timm/convnext_at*")
    assert [s.name for s in specs] == [
        "timm/convnext_atto",
        "timm/convnext_atto_ols",
        "timm/convnext_atto_rms",
    ]
    assert {s.prompting for s in specs} == {"film"}


@pytest.mark.parametrize(
    "name, prompting, module",
    [
        ("timm/vit_tiny_patch16_224", "tokens", "vision_transformer"),
        ("timm/deit_tiny_distilled_patch16_224", "tokens", "deit"),
        ("timm/eva02_tiny_patch14_224", "tokens", "eva"),
        ("timm/beit_base_patch16_224", "tokens", "beit"),
        ("timm/resnet18", "film", "resnet"),
        ("timm/convnext_atto", "film", "convnext"),
        ("timm/efficientnet_b0", "film", "efficientnet"),
    ],
)
def test_resolve_picks_prompting_by_family(name, prompting, module):
    """ViT-style families prompt with tokens, staged CNN families with FiLM."""
    spec = family.resolve(name)
    assert (spec.name, spec.prompting, spec.modality, spec.factory) == (
        name,
        prompting,
        "image",
        "sen_timm.neuron:build",
    )
    assert spec.params == {"model": name.split("/", 1)[1]}
    assert spec.tags == ("timm", module)


def test_resolve_reads_preprocessing_from_pretrained_cfg():
    """Image size and mean/std come from timm's pretrained config, tags included."""
    vit = family.resolve("timm/vit_tiny_patch16_224")
    assert (vit.preprocess.image_size, vit.preprocess.mean, vit.preprocess.std) == (
        224,
        (0.5,) * 3,
        (0.5,) * 3,
    )
    tagged = get_catalogue().get("timm/vit_small_patch16_384.augreg_in21k_ft_in1k")
    assert tagged.params == {"model": "vit_small_patch16_384.augreg_in21k_ft_in1k"}
    assert tagged.preprocess.image_size == 384
    res = family.resolve("timm/resnet18")
    assert res.preprocess.mean == (0.485, 0.456, 0.406)


def test_unknown_timm_name_suggests_close_matches():
    """A misspelt timm name raises UnknownNameError with suggestions from timm.list_models()."""
    with pytest.raises(UnknownNameError) as err:
        get_catalogue().get("timm/resnet_18", kind="encoder")
    # the other two suggestions depend on the timm version; the best one does not
    assert str(err.value).startswith(
        "unknown encoder component 'timm/resnet_18'; did you mean 'timm/resnet18' or "
    )
    assert len(err.value.suggestions) == 3
