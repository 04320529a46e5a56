"""The open_clip/* family: listing, resolving specs from architecture configs, unknown names."""

from __future__ import annotations

import pytest

from sen_core.catalogue import get_catalogue
from sen_core.errors import ConfigError, UnknownNameError
from sen_core.neuron import build_neuron


def test_family_is_registered_without_importing_open_clip():
    """The plugin registers one FamilySpec; its module imports neither open_clip nor torch."""
    import inspect

    from sen_open_clip import plugin

    fam = next(f for f in get_catalogue().families("encoder") if f.namespace == "open_clip")
    assert (fam.family_of, fam.name, fam.resolver) == (
        "encoder",
        "open_clip/*",
        "sen_open_clip.family:resolve",
    )
    assert fam.provenance.plugin == "open_clip"
    imports = [
        ln for ln in inspect.getsource(plugin).splitlines() if ln.startswith(("import", "from"))
    ]
    assert all("sen_core" in ln or "__future__" in ln for ln in imports)


def test_lists_both_towers_of_every_architecture():
    """Every open_clip architecture (tiny test ones included) appears as .../image and .../text."""
    import open_clip

    from sen_open_clip.family import list_names

    names = list_names()
    archs = open_clip.list_models()
    assert len(names) == 2 * len(archs)
    for arch in (
        "ViT-B-32",
        "RN50",
        "coca_ViT-B-32",
        "sen-tiny-vit",
        "sen-tiny-rn",
        "sen-tiny-timm",
    ):
        assert f"open_clip/{arch}/image" in names and f"open_clip/{arch}/text" in names


def test_catalogue_pattern_expands_the_family():
    """A pattern inside the namespace lists resolved specs (here the six tiny towers)."""
    specs = get_catalogue().list("encoders", "open_clip/sen-tiny-*")
    assert [s.name for s in specs] == [
        "open_clip/sen-tiny-rn/image",
        "open_clip/sen-tiny-rn/text",
        "open_clip/sen-tiny-timm/image",
        "open_clip/sen-tiny-timm/text",
        "open_clip/sen-tiny-vit/image",
        "open_clip/sen-tiny-vit/text",
    ]


def test_vit_b32_image_spec_from_config():
    """ViT-B-32 image: 224 px, 7x7 grid + CLS, width 512 (projected), OpenAI mean/std, token prompting."""
    spec = get_catalogue().get("open_clip/ViT-B-32/image")
    assert (spec.modality, spec.prompting, spec.width) == ("image", "tokens", 512)
    assert (spec.layout.tokens_per_frame, spec.layout.grid, spec.layout.special_tokens) == (
        50,
        (7, 7),
        1,
    )
    assert spec.preprocess.image_size == 224
    assert spec.preprocess.mean == pytest.approx((0.48145466, 0.4578275, 0.40821073))
    assert spec.factory == "sen_open_clip.image:build" and spec.params["arch"] == "ViT-B-32"


def test_text_resnet_and_siglip_specs():
    """Text towers are sequences of context_length; RN50 is FiLM; SigLIP takes its tags' 0.5 mean."""
    cat = get_catalogue()
    text = cat.get("open_clip/ViT-B-32/text")
    assert (text.modality, text.prompting, text.width) == ("text", "tokens", 512)
    assert (text.layout.kind, text.layout.tokens_per_frame, text.preprocess.max_length) == (
        "sequence",
        77,
        77,
    )
    rn = cat.get("open_clip/RN50/image")
    assert (rn.prompting, rn.width, rn.layout.grid) == ("film", 1024, (7, 7))
    siglip = cat.get("open_clip/ViT-B-16-SigLIP/image")
    assert (siglip.prompting, siglip.preprocess.mean) == ("tokens", (0.5, 0.5, 0.5))


def test_unknown_architecture_suggests_close_names():
    """A misspelt architecture raises UnknownNameError naming close matches."""
    with pytest.raises(UnknownNameError) as info:
        get_catalogue().get("open_clip/ViT-B-23/image")
    assert "unknown encoder component 'open_clip/ViT-B-23/image'" in str(info.value)
    assert "open_clip/ViT-B-32/image" in info.value.suggestions


def test_unknown_tower_suggests_the_two_towers():
    """Only image and text are towers; 'vision' suggests the image tower of the same arch."""
    with pytest.raises(UnknownNameError) as info:
        get_catalogue().get("open_clip/ViT-B-32/vision")
    assert "open_clip/ViT-B-32/image" in info.value.suggestions


def test_hf_text_tower_refuses_clearly():
    """An architecture whose text tower is a Hugging Face model is listed but refuses to build offline."""
    with pytest.raises(
        ConfigError, match=r"Hugging Face model 'roberta-base'.*transformers/roberta@1"
    ):
        build_neuron("open_clip/roberta-ViT-B-32/text")


def test_unknown_param_is_config_error():
    """A misspelt neuron param names itself and the accepted ones."""
    with pytest.raises(ConfigError, match=r"params.tokens: unknown parameter of encoder"):
        build_neuron("open_clip/sen-tiny-vit/image", tokens="all")
