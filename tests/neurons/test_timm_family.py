"""The timm/* dynamic family: registration, listing by pattern, resolving names, unknown names."""

from __future__ import annotations

from typing import Any

import pytest

from sen_core.catalogue import get_catalogue
from sen_core.errors import ConfigError, UnknownNameError
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


def _meta_neuron(name, **params):
    """Build on the meta device: shapes only, no weights, milliseconds."""
    import torch

    from sen_core.neuron import build_neuron

    with torch.device("meta"):
        return build_neuron(name, **params)


def test_volo_cls_returns_its_class_token():
    """VOLO declares no num_prefix_tokens; its cls_token makes token 0 special, so 'cls' is token 0."""
    import torch

    from sen_core.neuron import build_neuron

    torch.manual_seed(0)
    neuron = build_neuron("timm/volo_d1_224", tokens_per_frame="cls")
    video = torch.randint(0, 256, (1, 2, 224, 224, 3), dtype=torch.uint8)
    frames = neuron.preprocess(video)
    with torch.no_grad():
        out = neuron.encode(frames)
        model: Any = neuron.model  # a timm model: forward_features is per family
        ref = model.forward_features(frames.flatten(0, 1))  # (2, 197, 384)
    assert tuple(out.x.shape) == (1, 2, 384)
    assert torch.equal(out.x[0], ref[:, 0])
    assert not torch.allclose(out.x[0], ref.mean(1))


@pytest.mark.parametrize(
    "name, tokens, special, grid",
    [
        ("timm/volo_d1_224", 197, 1, (14, 14)),
        ("timm/levit_128s", 16, 0, (4, 4)),
        ("timm/xcit_nano_12_p16_224", 197, 1, (14, 14)),
        ("timm/tnt_s_patch16_224", 197, 1, (14, 14)),
        ("timm/hiera_tiny_224", 49, 0, (7, 7)),
        ("timm/efficientformer_l1", 49, 0, (7, 7)),
        ("timm/resmlp_12_224", 196, 0, (14, 14)),
        ("timm/coat_lite_tiny", 50, 1, (7, 7)),
        ("timm/pit_ti_224", 1, 1, None),
    ],
)
def test_special_tokens_and_grid_come_from_the_model(name, tokens, special, grid):
    """Prefix tokens from num_prefix_tokens or the token parameters, the grid from the patch embed
    or the last feature_info reduction: no family list."""
    import torch

    neuron = _meta_neuron(name)
    out = neuron.encode(torch.zeros(1, 1, 3, 224, 224, device="meta"))
    assert (out.layout.tokens_per_frame, out.layout.special_tokens, out.layout.grid) == (
        tokens,
        special,
        grid,
    )


@pytest.mark.parametrize(
    "name, stages",
    [
        ("timm/hrnet_w18_small", ("incre_modules.0", "incre_modules.3")),
        ("timm/pit_ti_224", ("transformers.0", "transformers.2")),
        ("timm/tnt_s_patch16_224", ("blocks.0", "blocks.11")),
        ("timm/selecsls42", ("stem.2", "head.3")),
        ("timm/mvitv2_tiny", ("stages.0", "stages.3")),
        ("timm/twins_svt_small", ("blocks.0.1", "blocks.3.3")),
        ("timm/crossvit_tiny_240", ("blocks.0", "blocks.2")),
        ("timm/efficientvim_m1", ("stages.0", "stages.2")),
    ],
)
def test_film_stages_run_and_take_prompts(name, stages):
    """Each FiLM stage is a module that runs; a prompted encode reaches every one of them."""
    import torch

    neuron = _meta_neuron(name)
    film = neuron._film
    assert (film.modules[0], film.modules[-1]) == stages
    fired = []
    for i, m in enumerate(film.modules):
        neuron.model.get_submodule(m).register_forward_hook(lambda *a, i=i: fired.append(i))
    size = neuron.image_size
    prompts = torch.zeros(1, neuron.prompt_slot().film_size, device="meta")
    neuron.encode(torch.zeros(1, 1, 3, size, size, device="meta"), prompts)
    assert set(fired) == set(range(len(film.modules)))


def test_multi_branch_models_give_their_pooled_token():
    """crossvit's forward_features is a list of branches: one token per frame, its pre-logits."""
    import torch

    from sen_core.neuron import build_neuron

    torch.manual_seed(0)
    neuron = build_neuron("timm/crossvit_tiny_240")
    frames = torch.randn(1, 1, 3, 240, 240)
    with torch.no_grad():
        out = neuron.encode(frames)
        model: Any = neuron.model
        ref = model.forward_head(model.forward_features(frames[0]), pre_logits=True)
    assert tuple(out.x.shape) == (1, 1, 288) and neuron.width == 288
    assert torch.equal(out.x[0], ref)


def test_image_size_is_built_or_refused_at_build():
    """Swin is rebuilt with img_size=160; EfficientFormer cannot run at 160 and is refused at build."""
    import torch

    swin = _meta_neuron("timm/swin_tiny_patch4_window7_224", image_size=160)
    out = swin.encode(torch.zeros(1, 1, 3, 160, 160, device="meta"))
    assert out.layout.grid == (5, 5)
    with pytest.raises(ConfigError) as err:
        _meta_neuron("timm/efficientformer_l1", image_size=160)
    assert str(err.value).startswith(
        "timm/efficientformer_l1: image_size=160 is not supported: timm 'efficientformer_l1' is "
        "built for 224x224 and neither img_size=160 ("
    )


def test_size_probe_runs_once_per_model_kwargs_and_size(monkeypatch):
    """model_kwargs_for_size asks timm once per (model, kwargs, size) in a process (a demo builds
    the same network for every seed and variant); other kwargs or sizes are probed anew, and the
    kwargs reach timm as given (nested values included)."""
    import timm

    from sen_timm import sizing

    seen: list[dict[str, Any]] = []

    def fake_create(model: str, pretrained: bool = False, **kwargs: Any) -> Any:
        seen.append(kwargs)
        raise RuntimeError("no img_size here")  # both builds fail: a ConfigError, then cached

    monkeypatch.setattr(timm, "create_model", fake_create)
    monkeypatch.setattr(sizing, "_PROBED", {})
    kw = {"drop_rate": 0.0, "extra": {"a": [1, 2]}}
    for _ in range(2):
        with pytest.raises(ConfigError, match="neither img_size=96"):
            sizing.model_kwargs_for_size("timm/x", "x_model", kw, 96, 224)
    assert seen == [{**kw, "img_size": 96}, kw]
    with pytest.raises(ConfigError):
        sizing.model_kwargs_for_size("timm/x", "x_model", kw, 128, 224)
    assert len(seen) == 4
