"""Editing metrics (textual alignment, frame consistency) with plain tensors and tiny encoders."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from sen_core.errors import ConfigError, InputError
from sen_core.neuron import Layout, Tokens
from sen_heads.metrics_editing import (
    DenoiseMeter,
    EditingEvaluator,
    frame_consistency,
    frame_consistency_from_embeddings,
    textual_alignment,
    textual_alignment_from_embeddings,
)

COLOURS = {"red": [1.0, 0.0, 0.0], "green": [0.0, 1.0, 0.0], "blue": [0.0, 0.0, 1.0]}


def mean_colour(video: torch.Tensor) -> Tokens:
    """A toy image neuron: one token per frame, the frame's mean RGB."""
    _b, t = video.shape[:2]
    x = video.float().mean(dim=(2, 3))  # (B, T, 3)
    return Tokens(x, Layout(kind="frames", frames=t, tokens_per_frame=1))


def colour_words(texts: list[str]) -> torch.Tensor:
    """A toy text neuron: the colour named in the prompt."""
    return torch.tensor([COLOURS[t] for t in texts])


def clip(*names: str) -> torch.Tensor:
    """(T, 8, 8, 3) uint8 frames of plain colours."""
    return torch.stack(
        [torch.tensor(COLOURS[n]).mul(255).to(torch.uint8).expand(8, 8, 3) for n in names]
    )


def test_from_embeddings_hand_values():
    """Frames [e1, e1, e2] against text e1: cosines 1, 1, 0 -> 2/3; all pairs 1, 0, 0 -> 1/3;
    consecutive 1, 0 -> 1/2."""
    f = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert textual_alignment_from_embeddings(f, torch.tensor([1.0, 0.0])) == pytest.approx(2 / 3)
    assert frame_consistency_from_embeddings(f) == pytest.approx(1 / 3)
    assert frame_consistency_from_embeddings(f, "consecutive") == pytest.approx(0.5)


def test_any_video_with_an_encoder_pair():
    """A red, red, green clip scores 2/3 against 'red', 1/3 against 'green', consistency 1/3."""
    video = clip("red", "red", "green")
    kw: dict[str, Any] = {"image_encoder": mean_colour, "text_encoder": colour_words}
    assert textual_alignment(video, "red", **kw) == pytest.approx(2 / 3)
    assert textual_alignment(video, "green", **kw) == pytest.approx(1 / 3)
    assert frame_consistency(video, image_encoder=mean_colour) == pytest.approx(1 / 3)
    ev = EditingEvaluator(mean_colour, colour_words)
    both = ev(torch.stack([video, clip("blue", "blue", "blue")]), ["red", "blue"])
    assert both["textual_alignment"] == pytest.approx((2 / 3 + 1) / 2)
    assert both["frame_consistency"] == pytest.approx((1 / 3 + 1) / 2)


def test_width_mismatch_is_refused():
    """An image-text pair without a shared space is an input error."""
    with pytest.raises(InputError, match="must share one embedding space"):
        textual_alignment_from_embeddings(torch.ones(3, 4), torch.ones(5))


def test_denoise_meter_weights_by_batch():
    """Batches of 1 and 3 with MSE 2 and 1 -> (2 + 3) / 4."""
    m = DenoiseMeter()
    m.update({"denoise_mse": torch.tensor(2.0)}, {"video": torch.zeros(1, 2, 4, 4, 3)})
    m.update({"denoise_mse": torch.tensor(1.0)}, {"video": torch.zeros(3, 2, 4, 4, 3)})
    assert m.compute() == {"denoise_mse": 1.25}


def test_from_neurons_refuses_random_towers():
    """Issue 21.4: without pretrained weights the evaluator refuses to score (it gave 0.99)."""
    from sen_open_clip.configs import register_tiny_configs

    register_tiny_configs()
    with pytest.raises(ConfigError) as err:
        EditingEvaluator.from_neurons("open_clip/sen-tiny-vit/image", "open_clip/sen-tiny-vit/text")
    assert str(err.value) == (
        "EditingEvaluator: 'open_clip/sen-tiny-vit/image' would score with random weights (no "
        "checkpoint, path, pretrained param); give pretrained weights, e.g. "
        "image_params={'checkpoint': 'clip.safetensors'}"
    )


def test_from_neurons_scores_with_a_checkpoint(tmp_path):
    """With a local checkpoint for both towers it builds and scores in range."""
    import open_clip
    from safetensors.torch import save_file

    from sen_open_clip.configs import register_tiny_configs

    register_tiny_configs()
    torch.manual_seed(0)
    model = open_clip.create_model("sen-tiny-vit")
    ckpt = tmp_path / "clip.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(ckpt))
    with pytest.raises(ConfigError, match="'open_clip/sen-tiny-vit/text' would score"):
        EditingEvaluator.from_neurons(
            "open_clip/sen-tiny-vit/image",
            "open_clip/sen-tiny-vit/text",
            image_params={"checkpoint": str(ckpt)},
        )
    ev = EditingEvaluator.from_neurons(
        "open_clip/sen-tiny-vit/image",
        "open_clip/sen-tiny-vit/text",
        image_params={"checkpoint": str(ckpt)},
        text_params={"checkpoint": str(ckpt), "output": "pooled"},
    )
    out = ev(clip("red", "red", "green"), "a red square")
    assert -1 <= out["textual_alignment"] <= 1 and -1 <= out["frame_consistency"] <= 1
