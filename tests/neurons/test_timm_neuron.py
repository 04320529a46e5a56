"""TimmNeuron: tokens and layouts, token/FiLM prompting, frozen gradients, params and bad input."""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import ConfigError, InputError, UnknownNameError
from sen_core.neuron import build_neuron

VIT = ("timm/vit_tiny_patch16_224", {"model_kwargs": {"img_size": 32, "depth": 2}})
EVA = ("timm/eva02_tiny_patch14_224", {"model_kwargs": {"img_size": 28, "depth": 2}})
BEIT = (
    "timm/beit_base_patch16_224",
    {"model_kwargs": {"img_size": 32, "depth": 2, "embed_dim": 64, "num_heads": 2}},
)
RESNET = ("timm/resnet18", {"image_size": 64})


def _build(case, seed: int = 0, **extra):
    torch.manual_seed(seed)
    name, params = case
    return build_neuron(name, **{**params, **extra})


def _video(b: int = 2, t: int = 2, h: int = 40, w: int = 48, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, t, h, w, 3), generator=g, dtype=torch.uint8)


@pytest.fixture(scope="module")
def vit():
    return _build(VIT)


@pytest.fixture(scope="module")
def resnet():
    return _build(RESNET)


# ---- tokens and layouts -----------------------------------------------------------------------
def test_vit_tokens_keep_cls_and_grid(vit):
    """'all' gives CLS + the 2x2 patch grid per frame, frame-major, width 192."""
    out = vit(_video())
    assert tuple(out.x.shape) == (2, 2 * 5, 192)
    assert (out.layout.kind, out.layout.frames, out.layout.tokens_per_frame) == ("frames", 2, 5)
    assert (out.layout.grid, out.layout.special_tokens) == ((2, 2), 1)
    assert tuple(out.spatial().shape) == (2, 2, 2, 2, 192)


def test_tokens_per_frame_cls_and_pooled():
    """'cls' keeps one token per frame; an int pools the patch grid (4 -> 2x2 of a 4x4 grid)."""
    video = _video()
    cls = _build(VIT, tokens_per_frame="cls")(video)
    assert tuple(cls.x.shape) == (2, 2, 192) and cls.layout.tokens_per_frame == 1
    pooled = _build(VIT, tokens_per_frame=4, image_size=64, model_kwargs={"depth": 2})(video)
    assert tuple(pooled.x.shape) == (2, 8, 192)
    assert (pooled.layout.grid, pooled.layout.special_tokens) == ((2, 2), 0)


def test_unprompted_tokens_equal_timm_forward_features(vit):
    """Without prompts the tokens are exactly timm's forward_features of the preprocessed frames."""
    video = _video()
    frames = vit.preprocess(video).flatten(0, 1)  # (B*T, 3, 32, 32)
    with torch.no_grad():
        ref = vit.model.forward_features(frames).reshape(2, 10, 192)
        assert torch.equal(vit(video).x, ref)


def test_preprocess_resizes_and_normalises(vit):
    """uint8 (B, T, H, W, 3) becomes (B, T, 3, 32, 32) normalised with the model's mean/std (0.5)."""
    frames = vit.preprocess(torch.full((1, 1, 40, 48, 3), 255, dtype=torch.uint8))
    assert tuple(frames.shape) == (1, 1, 3, 32, 32)
    assert torch.allclose(frames, torch.ones_like(frames))


def test_cnn_tokens_are_the_final_feature_grid(resnet):
    """A CNN gives its last feature map as a grid: 64 px -> 2x2 x 512 per frame."""
    out = resnet(_video())
    assert tuple(out.x.shape) == (2, 8, 512)
    assert (out.layout.grid, out.layout.special_tokens, resnet.width) == ((2, 2), 0, 512)


# ---- token prompting ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", [VIT, EVA, BEIT], ids=["vit", "eva", "beit"])
def test_empty_prompt_path_matches_forward_features(case):
    """The step-wise prompt forward with zero prompt tokens reproduces forward_features (vit, eva, beit)."""
    neuron = _build(case)
    frames = neuron.preprocess(_video()).flatten(0, 1)
    with torch.no_grad():
        ref = neuron.model.forward_features(frames)
        got = neuron._prompter.forward(frames, frames.new_zeros(frames.shape[0], 0, neuron.width))
    assert torch.allclose(got, ref, atol=1e-6)


@pytest.mark.parametrize("case", [VIT, EVA, BEIT], ids=["vit", "eva", "beit"])
def test_token_prompts_change_output_and_leave_model_unchanged(case):
    """Prompts change the tokens, keep the shape, and a later unprompted run is unaffected."""
    neuron = _build(case)
    video = _video()
    with torch.no_grad():
        before = neuron(video).x
        prompted = neuron(video, torch.randn(2, 3, neuron.width)).x
        after = neuron(video).x
    assert prompted.shape == before.shape
    assert (prompted - before).abs().max() > 1e-4
    assert torch.equal(before, after)


def test_prompts_are_shared_by_the_frames_of_a_clip(vit):
    """Prompts (B, M, D) are repeated over T: each clip's frames see their clip's prompts only."""
    video = _video()
    prompts = torch.randn(2, 3, 192)
    with torch.no_grad():
        both = vit(video, prompts).x
        first = vit(video[:1], prompts[:1]).x
        same = vit(video[:, :1].expand(2, 2, -1, -1, -1), prompts).per_frame()
    assert torch.allclose(both[:1], first, atol=1e-5)
    assert torch.allclose(same[:, 0], same[:, 1], atol=1e-6)


def test_deep_prompts_one_set_per_block():
    """prompt_depth='deep' takes (B, depth, M, D); shallow-shaped prompts are refused with the shape."""
    neuron = _build(VIT, prompt_depth="deep")
    slot = neuron.prompt_slot()
    assert (slot.kind, slot.dim, slot.depth) == ("tokens", 192, 2)
    video = _video()
    with torch.no_grad():
        base = neuron(video).x
        deep = neuron(video, torch.randn(2, 2, 3, 192)).x
    assert deep.shape == base.shape and (deep - base).abs().max() > 1e-4
    with pytest.raises(InputError) as err:
        neuron(video, torch.randn(2, 3, 192))
    assert str(err.value) == (
        "timm/vit_tiny_patch16_224: prompt_depth='deep' needs one prompt set per block from "
        "prompt_from=0 on: (B, 2, M, 192), got (2, 3, 192)"
    )


def test_deep_prompts_replace_earlier_ones():
    """Changing only the last block's deep prompts changes the output (they are re-inserted per block)."""
    neuron = _build(VIT, prompt_depth="deep")
    p = torch.randn(2, 2, 3, 192)
    q = p.clone()
    q[:, 1] = torch.randn(2, 3, 192)  # (a constant shift would vanish in the block's LayerNorm)
    with torch.no_grad():
        assert (neuron(_video(), p).x - neuron(_video(), q).x).abs().max() > 1e-4


def test_wrong_prompt_shape_is_refused(vit):
    """Prompts of the wrong width name the expected shape."""
    with pytest.raises(InputError) as err:
        vit(_video(), torch.randn(2, 3, 100))
    assert str(err.value) == (
        "neuron 'timm/vit_tiny_patch16_224': prompts must be (B, M, 192) or (B, 1, M, 192) with B=2, got (2, 3, 100)"
    )


# ---- FiLM prompting ---------------------------------------------------------------------------
def test_film_slot_lists_stage_channels(resnet):
    """resnet18 takes FiLM over its five feature_info stages: 2 * (64+64+128+256+512) values."""
    slot = resnet.prompt_slot()
    assert (slot.kind, slot.channels, slot.film_size) == ("film", (64, 64, 128, 256, 512), 2048)


def test_film_zero_is_identity_and_shift_is_stage_major(resnet):
    """FiLM (0, 0) leaves the tokens unchanged; a shift in the last stage's slot adds to its output."""
    video = _video()
    film = torch.zeros(2, 2048)
    with torch.no_grad():
        base = resnet(video)
        assert torch.equal(resnet(video, film).x, base.x)
        shift = torch.randn(2, 512)
        film[:, 2048 - 512 :] = shift  # layout [s0, b0, s1, b1, ..., s4, b4]: b4 is the last 512
        shifted = resnet(video, film)
    # resnet18's last stage (layer4) is the last op of forward_features: every token of clip b moves by shift[b]
    assert torch.allclose(shifted.x, base.x + shift[:, None, :], atol=1e-5)


def test_film_works_on_channels_last_models():
    """A channels-last model (swin, NHWC stages) takes FiLM on its last axis."""
    neuron = _build(
        (
            "timm/swin_tiny_patch4_window7_224",
            {
                "model_kwargs": {
                    "img_size": 64,
                    "embed_dim": 32,
                    "depths": (1, 1, 1, 1),
                    "num_heads": (1, 2, 2, 4),
                    "window_size": 4,
                }
            },
        )
    )
    slot = neuron.prompt_slot()
    assert slot.channels == (32, 64, 128, 256)
    video = _video()
    film = torch.zeros(2, slot.film_size)
    film[:, -256:] = 1.0  # shift the last stage's (N, h, w, 256) output by +1
    with torch.no_grad():
        m = neuron.model
        frames = neuron.preprocess(video).flatten(0, 1)
        want = m.norm(m.layers(m.patch_embed(frames)) + 1.0)  # swin: patch_embed -> stages -> norm
        got = neuron(video, film)
    assert torch.allclose(got.x, want.reshape(2, 2 * 4, 256), atol=1e-5)


# ---- gradients and trainable modes -------------------------------------------------------------
@pytest.mark.parametrize("case", [VIT, RESNET], ids=["tokens", "film"])
def test_gradients_reach_prompts_not_frozen_weights(case):
    """Frozen by default: the loss gradient reaches the prompts and no weight gets one."""
    neuron = _build(case)
    slot = neuron.prompt_slot()
    shape = (2, 3, slot.dim) if slot.kind == "tokens" else (2, slot.film_size)
    prompts = (0.1 * torch.randn(*shape)).requires_grad_()
    neuron(_video(), prompts).x.square().mean().backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in neuron.parameters())
    assert all(p.grad is None for p in neuron.parameters())


def test_trainable_modes_select_parameters():
    """'norms' trains only LayerNorm parameters; 'all' trains everything and allows train mode."""
    norms = _build(VIT, trainable="norms")
    names = {n for n, p in norms.model.named_parameters() if p.requires_grad}
    assert names and all(".norm" in f".{n}" for n in names)
    full = _build(VIT, trainable="all")
    assert all(p.requires_grad for p in full.parameters())
    assert full.train().model.training and not norms.train().model.training


# ---- local checkpoints ------------------------------------------------------------------------
def test_checkpoint_round_trip(tmp_path, vit):
    """Weights saved to safetensors load into a fresh neuron and give identical tokens."""
    from safetensors.torch import save_file

    path = tmp_path / "vit.safetensors"
    save_file(vit.model.state_dict(), path)
    other = _build(VIT, seed=1)
    loaded = _build(VIT, seed=1, checkpoint=str(path))
    video = _video()
    with torch.no_grad():
        assert not torch.allclose(other(video).x, vit(video).x)
        assert torch.equal(loaded(video).x, vit(video).x)


def test_torch_checkpoint_in_a_container_loads(tmp_path, resnet):
    """A .pth with {'state_dict': ...} written by a training script loads with weights_only."""
    path = tmp_path / "resnet.pth"
    torch.save({"epoch": 1, "state_dict": resnet.model.state_dict()}, path)
    loaded = _build(RESNET, seed=1, checkpoint=str(path))
    with torch.no_grad():
        assert torch.equal(loaded(_video()).x, resnet(_video()).x)


def test_truncated_checkpoint_names_the_file(tmp_path, vit):
    """A truncated safetensors checkpoint fails the build with the file named."""
    from safetensors.torch import save_file

    from sen_core.errors import CheckpointError

    path = tmp_path / "cut.safetensors"
    save_file(vit.model.state_dict(), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError) as err:
        _build(VIT, checkpoint=str(path))
    assert str(err.value).startswith(
        f"checkpoint '{path}' is not a readable safetensors file (truncated or corrupt?)"
    )


def test_mismatched_checkpoint_names_the_keys(tmp_path, vit):
    """A 2-block checkpoint loaded into a 3-block ViT names the missing block-2 keys."""
    from safetensors.torch import save_file

    from sen_core.errors import CheckpointError

    path = tmp_path / "vit2.safetensors"
    save_file(vit.model.state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        _build(VIT, checkpoint=str(path), model_kwargs={"img_size": 32, "depth": 3})
    assert str(err.value) == (
        f"timm/vit_tiny_patch16_224: checkpoint '{path}': checkpoint does not match the model: 12 missing keys "
        "(blocks.2.norm1.weight, blocks.2.norm1.bias, blocks.2.attn.qkv.weight, blocks.2.attn.qkv.bias, "
        "blocks.2.attn.proj.weight, ... (7 more))"
    )


# ---- params and bad input ---------------------------------------------------------------------
def test_pretrained_without_checkpoint_is_refused():
    """pretrained=True would download: the error says to pass a local checkpoint."""
    with pytest.raises(ConfigError) as err:
        build_neuron("timm/resnet18", pretrained=True)
    assert str(err.value) == (
        "timm/resnet18: pretrained=True would download weights, which SEN never does; pass "
        "checkpoint=<local .safetensors/.pth file> (e.g. a timm model.safetensors fetched beforehand)"
    )


def test_unknown_param_and_bad_kwargs_are_config_errors():
    """Unknown params and model_kwargs timm rejects raise ConfigError naming them."""
    with pytest.raises(ConfigError) as err:
        build_neuron("timm/resnet18", imgsize=64)
    assert str(err.value) == (
        "invalid params for encoder 'timm/resnet18': params.imgsize: unknown parameter of encoder "
        "'timm/resnet18'; did you mean 'image_size'? (it takes: checkpoint, image_size, model, "
        "model_kwargs, pretrained, prompt_depth, prompt_from, tokens_per_frame, trainable)"
    )
    with pytest.raises(
        ConfigError,
        match=r"^timm/resnet18: prompt_depth='deep' needs token prompting; this neuron uses film$",
    ):
        build_neuron("timm/resnet18", prompt_depth="deep")
    with pytest.raises(
        ConfigError,
        match=r"^timm/resnet18: tokens_per_frame='mean'; expected 'all', 'cls' or a positive int$",
    ):
        build_neuron("timm/resnet18", tokens_per_frame="mean")


def test_unknown_model_param_suggests_names():
    """A misspelt model= param gets the same suggestions as an unknown name."""
    from sen_core.catalogue import get_catalogue

    spec = get_catalogue().get("timm/resnet18")
    with pytest.raises(
        UnknownNameError,
        match=r"^unknown encoder component 'timm/resnet_18'; did you mean 'timm/resnet18'",
    ):
        build_neuron(spec, model="resnet_18")


def test_wrong_frame_shape_and_dtype_are_input_errors(vit):
    """A 4-D video, a 4-channel video and an int32 video are refused with their shapes/dtypes."""
    with pytest.raises(InputError) as err:
        vit(torch.zeros(2, 40, 48, 3, dtype=torch.uint8))
    assert str(err.value) == (
        "timm/vit_tiny_patch16_224: video must be 5-D (B, T, H, W, 3) or (B, T, 3, H, W), got shape (2, 40, 48, 3)"
    )
    with pytest.raises(InputError) as err:
        vit(torch.zeros(2, 2, 4, 40, 48))
    assert str(err.value) == (
        "timm/vit_tiny_patch16_224: video must have 3 colour channels, got shape (2, 2, 4, 40, 48)"
    )
    with pytest.raises(InputError) as err:
        vit(torch.zeros(2, 2, 40, 48, 3, dtype=torch.int32))
    assert (
        str(err.value)
        == "timm/vit_tiny_patch16_224: video dtype must be uint8 or floating point, got torch.int32"
    )
