"""open_clip image towers (ViT, ModifiedResNet, timm trunk): tokens, prompts, gradients, checkpoints."""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import CheckpointError, ConfigError, InputError
from sen_core.neuron import build_neuron

ARCHS = ("sen-tiny-vit", "sen-tiny-rn", "sen-tiny-timm")


def _video(b: int = 2, t: int = 2, h: int = 40, w: int = 48, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, t, h, w, 3), generator=g, dtype=torch.uint8)


def _prompts(neuron, b: int = 2, m: int = 3, deep: bool = False, seed: int = 1) -> torch.Tensor:
    slot = neuron.prompt_slot()
    g = torch.Generator().manual_seed(seed)
    if slot.kind == "film":
        return 0.5 * torch.randn(b, slot.film_size, generator=g)
    shape = (b, slot.depth, m, slot.dim) if deep else (b, m, slot.dim)
    return torch.randn(*shape, generator=g)


@pytest.fixture(scope="module")
def models():
    """One randomly initialised open_clip model per tiny architecture (seeded)."""
    import open_clip

    from sen_open_clip.configs import register_tiny_configs

    register_tiny_configs()
    out = {}
    for i, arch in enumerate(ARCHS):
        torch.manual_seed(i)
        out[arch] = open_clip.create_model(arch).eval()
    return out


@pytest.fixture(scope="module")
def checkpoints(models, tmp_path_factory):
    """Each model's whole state dict saved as safetensors: what a local open_clip checkpoint holds."""
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("open_clip_ckpt")
    out = {}
    for arch, model in models.items():
        out[arch] = folder / f"{arch}.safetensors"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out[arch]))
    return out


@pytest.fixture(scope="module")
def neurons(checkpoints):
    deep = {
        "sen-tiny-vit": "deep",
        "sen-tiny-rn": "shallow",
        "sen-tiny-timm": "deep",
    }  # FiLM has no depth
    return {
        arch: build_neuron(
            f"open_clip/{arch}/image", checkpoint=str(checkpoints[arch]), prompt_depth=deep[arch]
        )
        for arch in ARCHS
    }


# ---- tokens and layouts -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "arch,prompting,tpf,grid,slot",
    [
        ("sen-tiny-vit", "tokens", 5, (2, 2), (128, 2)),
        ("sen-tiny-rn", "film", 5, (2, 2), (64, 128, 256, 512)),
        ("sen-tiny-timm", "tokens", 17, (4, 4), (64, 6)),
    ],
)
def test_layout_and_prompt_slot(neurons, arch, prompting, tpf, grid, slot):
    """Each tower gives T frames of CLS + grid tokens at width 64 (the joint space) and declares its slot."""
    n = neurons[arch]
    out = n(_video())
    assert tuple(out.x.shape) == (2, 2 * tpf, 64) and out.mask is None
    assert (out.layout.kind, out.layout.frames, out.layout.tokens_per_frame) == ("frames", 2, tpf)
    assert (out.layout.grid, out.layout.special_tokens) == (grid, 1)
    s = n.prompt_slot()
    assert (n.prompting, s.kind) == (prompting, prompting)
    assert (s.channels if s.kind == "film" else (s.dim, s.depth)) == slot


@pytest.mark.parametrize("arch", ARCHS)
def test_class_token_equals_encode_image(models, neurons, arch):
    """Checkpoint round trip: the projected first token of each frame is open_clip's encode_image."""
    n = neurons[arch]
    frames = n.preprocess(_video())  # (2, 2, 3, 64, 64)
    with torch.no_grad():
        ours = n.encode(frames).per_frame()[:, :, 0]  # (B, T, 64)
        ref = models[arch].encode_image(frames.flatten(0, 1)).reshape(2, 2, -1)
    assert torch.allclose(ours, ref, atol=1e-5, rtol=1e-5)


def test_tokens_per_frame_cls_and_int(checkpoints):
    """'cls' keeps the class token only; 1 averages the patch grid to one token per frame."""
    video = _video()
    cls = build_neuron(
        "open_clip/sen-tiny-vit/image",
        checkpoint=str(checkpoints["sen-tiny-vit"]),
        tokens_per_frame="cls",
    )(video)
    assert tuple(cls.x.shape) == (2, 2, 64) and cls.layout.grid is None
    one = build_neuron("open_clip/sen-tiny-vit/image", tokens_per_frame=1)(video)
    assert tuple(one.x.shape) == (2, 2, 64) and one.layout.special_tokens == 0


def test_unprojected_tokens_have_tower_width():
    """project=False keeps the transformer width (128 for the ViT, 16*32 for the ResNet)."""
    vit = build_neuron("open_clip/sen-tiny-vit/image", project=False)
    rn = build_neuron("open_clip/sen-tiny-rn/image", project=False)
    assert (vit.width, rn.width) == (128, 512)
    assert vit(_video()).x.shape[-1] == 128 and rn(_video()).x.shape[-1] == 512


def test_image_size_resamples_checkpoint_positions(checkpoints):
    """image_size=96 builds a 3x3 grid and resamples the checkpoint's 2x2 position grid."""
    n = build_neuron(
        "open_clip/sen-tiny-vit/image", checkpoint=str(checkpoints["sen-tiny-vit"]), image_size=96
    )
    out = n(_video())
    assert out.layout.grid == (3, 3) and tuple(out.x.shape) == (2, 2 * 10, 64)


# ---- prompting ---------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_prompts_change_tokens_and_reach_gradients(neurons, arch):
    """Prompts keep shapes, change the tokens, and get gradients through the frozen tower."""
    n = neurons[arch]
    video = _video()
    assert not any(p.requires_grad for p in n.parameters())
    p = _prompts(n).requires_grad_()
    base, out = n(video), n(video, p)
    assert out.x.shape == base.x.shape and out.layout == base.layout
    assert (out.x - base.x).abs().max() > 1e-4
    out.x.square().mean().backward()
    assert p.grad is not None and p.grad.abs().sum() > 0
    assert all(q.grad is None for q in n.parameters())


def test_deep_prompts_differ_from_shallow(neurons):
    """Deep prompts (B, depth, M, D) with distinct later layers change the output vs shallow ones."""
    n = neurons["sen-tiny-vit"]
    deep = _prompts(n, deep=True)
    shallow = deep[:, 0]
    a, b = n(_video(), shallow).x, n(_video(), deep).x
    assert a.shape == b.shape and (a - b).abs().max() > 1e-4


def test_vit_prompts_do_not_touch_other_samples(neurons):
    """Prompts act per clip: prompting clip 0 only leaves clip 1's tokens unchanged."""
    n = neurons["sen-tiny-vit"]
    p = _prompts(n)
    video = _video()
    both = n(video, p).x
    solo = n(video[1:], p[1:]).x
    assert torch.allclose(both[1:], solo, atol=1e-5)


def test_zero_film_is_identity(neurons):
    """A zero FiLM prompt (scale 0, shift 0) leaves the ResNet output unchanged."""
    n = neurons["sen-tiny-rn"]
    zero = torch.zeros(2, n.prompt_slot().film_size)
    assert torch.allclose(n(_video()).x, n(_video(), zero).x, atol=1e-6)


def test_prompt_depth_param(checkpoints):
    """Shallow (default) slots have depth 1; 'deep' on a FiLM tower or an unknown value is a ConfigError."""
    n = build_neuron("open_clip/sen-tiny-vit/image")
    assert (n.prompt_slot().dim, n.prompt_slot().depth) == (128, 1)
    assert n(_video(), torch.zeros(2, 1, 3, 128)).x.shape == (2, 10, 64)  # (B, 1, M, D) = shallow
    with pytest.raises(
        ConfigError, match="prompt_depth='deep' needs token prompting; this neuron takes film"
    ):
        build_neuron("open_clip/sen-tiny-rn/image", prompt_depth="deep")
    with pytest.raises(ConfigError, match="prompt_depth='all'; expected 'shallow' or 'deep'"):
        build_neuron("open_clip/sen-tiny-vit/image", prompt_depth="all")


def test_wrong_prompt_shape_is_input_error(neurons):
    """Prompts of the wrong width or batch raise InputError naming the expected shape."""
    n = neurons["sen-tiny-vit"]
    with pytest.raises(
        InputError, match=r"prompts must be \(B, M, 128\) or \(B, 2, M, 128\) with B=2"
    ):
        n(_video(), torch.zeros(2, 3, 64))
    with pytest.raises(InputError, match="with B=2"):
        n(_video(), torch.zeros(1, 3, 128))


# ---- trainable modes, bad input, checkpoints ----------------------------------------------------
def test_trainable_modes():
    """'none' freezes everything; 'norms' frees only LayerNorms; 'all' trains every weight."""
    n = build_neuron("open_clip/sen-tiny-vit/image")
    assert not any(p.requires_grad for p in n.parameters())
    norms = build_neuron("open_clip/sen-tiny-vit/image", trainable="norms")
    free = {k for k, p in norms.named_parameters() if p.requires_grad}
    assert free and all(".ln_" in k for k in free)  # ln_pre, ln_post and every block's ln_1, ln_2
    assert all(
        p.requires_grad
        for p in build_neuron("open_clip/sen-tiny-vit/image", trainable="all").parameters()
    )


def test_bad_video_is_input_error(neurons):
    """A clip without its T axis or with two channels raises InputError naming the shape."""
    n = neurons["sen-tiny-vit"]
    with pytest.raises(InputError, match=r"video must be 5-D"):
        n(_video()[:, 0])
    with pytest.raises(InputError, match="3 colour channels"):
        n(_video()[..., :2])
    with pytest.raises(InputError, match="takes preprocessed frames"):
        n.encode(torch.zeros(2, 3, 64, 64))


def test_tower_only_checkpoint_loads(models, tmp_path):
    """A checkpoint holding only the visual tower's keys loads too and gives the same tokens."""
    from safetensors.torch import save_file

    f = tmp_path / "visual.safetensors"
    save_file(
        {k: v.contiguous() for k, v in models["sen-tiny-rn"].visual.state_dict().items()}, str(f)
    )
    n = build_neuron("open_clip/sen-tiny-rn/image", checkpoint=str(f), tokens_per_frame="cls")
    frames = n.preprocess(_video())
    with torch.no_grad():
        ref = models["sen-tiny-rn"].encode_image(frames.flatten(0, 1))
        assert torch.allclose(n.encode(frames).x.flatten(0, 1), ref, atol=1e-5)


def test_mismatched_checkpoint_names_keys(checkpoints):
    """Loading the ViT checkpoint into the ResNet tower names missing and unexpected keys."""
    with pytest.raises(CheckpointError) as info:
        build_neuron("open_clip/sen-tiny-rn/image", checkpoint=str(checkpoints["sen-tiny-vit"]))
    msg = str(info.value)
    assert msg.startswith("open_clip/sen-tiny-rn/image: checkpoint '")
    assert "missing keys (" in msg and "conv1.weight" in msg and "unexpected keys (" in msg
    assert "class_embedding" in msg


def test_corrupt_checkpoint_is_checkpoint_error(tmp_path):
    """A truncated safetensors file raises CheckpointError naming the file."""
    f = tmp_path / "broken.safetensors"
    f.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match=r"broken.safetensors"):
        build_neuron("open_clip/sen-tiny-vit/image", checkpoint=str(f))
