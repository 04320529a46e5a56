"""transformers/vit@1, clip-vision@1 (per frame) and videomae@1 (tubelets): tokens, prompts, weights."""

from __future__ import annotations

import json

import pytest
import torch

from sen_core.errors import CheckpointError, ConfigError, InputError
from sen_core.neuron import build_neuron

IMAGE = ("transformers/vit@1", "transformers/clip-vision@1")
VIDEO = "transformers/videomae@1"


def _video(b: int = 2, t: int = 2, h: int = 40, w: int = 48, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, t, h, w, 3), generator=g, dtype=torch.uint8)


def _build(name: str, seed: int = 0, **params):
    torch.manual_seed(seed)
    return build_neuron(name, **params)


def _prompts(neuron, b: int = 2, m: int = 3, deep: bool = False, seed: int = 1) -> torch.Tensor:
    slot = neuron.prompt_slot()
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*((b, slot.depth, m, slot.dim) if deep else (b, m, slot.dim)), generator=g)


@pytest.fixture(scope="module")
def neurons():
    out = {
        name: _build(name, image_size=32, config={"patch_size": 16}, prompt_depth="deep")
        for name in IMAGE
    }
    out[VIDEO] = _build(VIDEO, image_size=32, config={"num_frames": 4}, prompt_depth="deep")
    return out


@pytest.mark.parametrize("name", IMAGE)
def test_image_tokens_per_frame(neurons, name):
    """Each of T=2 frames gives CLS + a 2x2 grid at width 128."""
    out = neurons[name](_video())
    assert tuple(out.x.shape) == (2, 10, 128) and out.mask is None
    assert (
        out.layout.frames,
        out.layout.tokens_per_frame,
        out.layout.grid,
        out.layout.special_tokens,
    ) == (2, 5, (2, 2), 1)


def test_clip_class_token_is_pooled_output(neurons):
    """CLIP vision tokens are post-layernormed, so the class token equals the model's pooler_output."""
    n = neurons["transformers/clip-vision@1"]
    frames = n.preprocess(_video())
    with torch.no_grad():
        ref = n.model(pixel_values=frames.flatten(0, 1)).pooler_output
        assert torch.allclose(n.encode(frames).per_frame()[:, :, 0].flatten(0, 1), ref, atol=1e-5)


def test_vit_unprompted_equals_model(neurons):
    """Without prompts ViT tokens are the model's last_hidden_state per frame."""
    n = neurons["transformers/vit@1"]
    frames = n.preprocess(_video())
    with torch.no_grad():
        ref = n.model(pixel_values=frames.flatten(0, 1)).last_hidden_state
        assert torch.equal(n.encode(frames).x.reshape(4, 5, 128), ref)


@pytest.mark.parametrize("name", (*IMAGE, VIDEO))
def test_prompts_change_tokens_and_get_gradients(neurons, name):
    """Shallow and deep prompts change the tokens and get gradients through the frozen model."""
    n = neurons[name]
    video = _video()
    base = n(video)
    for deep in (False, True):
        p = _prompts(n, deep=deep).requires_grad_()
        out = n(video, p)
        assert out.x.shape == base.x.shape and out.layout == base.layout
        assert (out.x - base.x).abs().max() > 1e-4
        out.x.square().mean().backward()
        assert p.grad.abs().sum() > 0
    assert not any(q.requires_grad or q.grad is not None for q in n.parameters())


def test_tokens_per_frame_cls(neurons):
    """tokens_per_frame='cls' keeps one token per frame."""
    n = _build("transformers/vit@1", image_size=32, tokens_per_frame="cls")
    out = n(_video())
    assert tuple(out.x.shape) == (2, 2, 128) and out.layout.grid is None


@pytest.mark.parametrize("name", IMAGE)
def test_save_pretrained_round_trip_with_processor_norm(neurons, name, tmp_path):
    """save_pretrained -> path= gives identical tokens; a preprocessor_config.json sets mean/std."""
    n = neurons[name]
    n.model.save_pretrained(tmp_path)
    again = build_neuron(name, path=str(tmp_path), prompt_depth="deep")
    assert (again.image_size, again.mean) == (32, n.mean)
    assert torch.equal(again(_video()).x, n(_video()).x)
    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps({"image_mean": [0.1, 0.2, 0.3], "image_std": [1.0, 1.0, 1.0]})
    )
    assert build_neuron(name, path=str(tmp_path)).mean == (0.1, 0.2, 0.3)


def test_saved_vit_at_another_size_interpolates(neurons, tmp_path):
    """A model saved at 32 px run with image_size=64 resamples its position grid (4x4 patches)."""
    neurons["transformers/vit@1"].model.save_pretrained(tmp_path)
    out = build_neuron("transformers/vit@1", path=str(tmp_path), image_size=64)(_video())
    assert out.layout.grid == (4, 4) and tuple(out.x.shape) == (2, 2 * 17, 128)


def test_mismatched_checkpoint_names_keys(neurons, tmp_path):
    """A ViT state dict loaded into CLIP vision names missing and unexpected keys."""
    from safetensors.torch import save_file

    f = tmp_path / "vit.safetensors"
    save_file(
        {k: v.contiguous() for k, v in neurons["transformers/vit@1"].model.state_dict().items()},
        str(f),
    )
    with pytest.raises(
        CheckpointError,
        match=r"transformers/clip-vision@1: checkpoint '.*vit.safetensors': "
        r"checkpoint does not match the model: \d+ missing keys",
    ):
        build_neuron(
            "transformers/clip-vision@1",
            image_size=32,
            config={"patch_size": 16},
            checkpoint=str(f),
        )


# ---- VideoMAE ---------------------------------------------------------------------------------
def test_videomae_tubelets_become_frames(neurons):
    """4 frames with tubelet 2 give T'=2 frames of a 2x2 grid (no class token)."""
    out = neurons[VIDEO](_video(t=4))
    assert tuple(out.x.shape) == (2, 8, 128)
    assert (
        out.layout.frames,
        out.layout.tokens_per_frame,
        out.layout.grid,
        out.layout.special_tokens,
    ) == (2, 4, (2, 2), 0)


def test_videomae_resamples_clip_length(neurons):
    """A 7-frame clip is resampled to the model's 4 frames; its frames 0, 2, 4, 6 are the ones kept."""
    n = neurons[VIDEO]
    long = _video(t=7)
    assert torch.equal(n(long).x, n(long[:, [0, 2, 4, 6]]).x)


def test_videomae_round_trip_and_size_check(neurons, tmp_path):
    """save_pretrained -> path= is identical; another image_size for a saved model is a ConfigError."""
    n = neurons[VIDEO]
    n.model.save_pretrained(tmp_path)
    again = build_neuron(VIDEO, path=str(tmp_path))
    assert (again.prompt_slot().depth, n.prompt_slot().depth) == (1, 2)
    assert torch.equal(again(_video(t=4)).x, n(_video(t=4)).x)
    with pytest.raises(ConfigError, match="image_size=64 but the saved model was trained at 32"):
        build_neuron(VIDEO, path=str(tmp_path), image_size=64)


def test_bad_video_is_input_error(neurons):
    """Missing T axis (image neuron) or a wrong preprocessed clip shape (VideoMAE) raises InputError."""
    with pytest.raises(InputError, match="video must be 5-D"):
        neurons["transformers/vit@1"](_video()[:, 0])
    with pytest.raises(InputError, match=r"takes preprocessed clips \(B, 4, 3, 32, 32\)"):
        neurons[VIDEO].encode(torch.zeros(2, 3, 3, 32, 32))
