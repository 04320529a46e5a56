"""transformers/bert@1, roberta@1, clip-text@1: tokens + mask, prompts via hooks, local weights."""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import CheckpointError, ConfigError, InputError
from sen_core.neuron import build_neuron

NAMES = ("transformers/bert@1", "transformers/roberta@1", "transformers/clip-text@1")
TEXTS = ["a cat", "a photo of a dog on the grass"]
SMALL = {"num_hidden_layers": 2, "intermediate_size": 256}


def _build(name: str, seed: int = 0, **params):
    torch.manual_seed(seed)
    return build_neuron(name, **params)


def _prompts(neuron, b: int = 2, m: int = 3, deep: bool = False, seed: int = 1) -> torch.Tensor:
    slot = neuron.prompt_slot()
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*((b, slot.depth, m, slot.dim) if deep else (b, m, slot.dim)), generator=g)


@pytest.fixture(scope="module")
def neurons():
    return {name: _build(name, config=SMALL, prompt_depth="deep") for name in NAMES}


@pytest.mark.parametrize(
    "name,lengths",
    [
        ("transformers/bert@1", [4, 10]),  # [CLS] a cat [SEP]
        ("transformers/roberta@1", [7, 31]),  # <s> + one token per byte + </s>
        ("transformers/clip-text@1", [4, 10]),
    ],
)
def test_tokens_and_mask(neurons, name, lengths):
    """Texts pad to the longest: (B, L, 128) last hidden states with the tokenizer's attention mask."""
    out = neurons[name](TEXTS)
    assert tuple(out.x.shape) == (2, max(lengths), 128)
    assert (out.layout.kind, out.layout.tokens_per_frame) == ("sequence", max(lengths))
    assert out.mask.dtype == torch.bool and out.mask.sum(1).tolist() == lengths


@pytest.mark.parametrize("name", NAMES)
def test_unprompted_equals_model_forward(neurons, name):
    """Without prompts the tokens are exactly the HF model's last_hidden_state."""
    n = neurons[name]
    enc = n.preprocess(TEXTS)
    with torch.no_grad():
        ref = n.model(**enc).last_hidden_state
        assert torch.equal(n.encode(enc).x, ref)


@pytest.mark.parametrize("name", NAMES)
def test_prompts_change_tokens_and_get_gradients(neurons, name):
    """Shallow and deep prompts keep the shape, change the tokens and get gradients; weights stay frozen."""
    n = neurons[name]
    base = n(TEXTS)
    for deep in (False, True):
        p = _prompts(n, deep=deep).requires_grad_()
        out = n(TEXTS, p)
        assert out.x.shape == base.x.shape and torch.equal(out.mask, base.mask)
        assert (out.x - base.x).abs().max() > 1e-4
        out.x.square().mean().backward()
        assert p.grad.abs().sum() > 0
    assert not any(q.requires_grad or q.grad is not None for q in n.parameters())


def test_prompts_are_attended_despite_padding(neurons):
    """Prompted padding rows differ only through attention: the short text's valid tokens see the prompts."""
    n = neurons["transformers/bert@1"]
    p = _prompts(n)
    solo = n(TEXTS[:1], p[:1]).x  # no padding at all
    both = n(TEXTS, p).x[:1, :4]  # same text, padded to 10 in the batch
    assert torch.allclose(solo, both, atol=1e-5)


def test_clip_tokenizer_matches_open_clip():
    """The offline CLIP tokenizer gives open_clip's SimpleTokenizer ids."""
    import open_clip

    from sen_transformers.local_tokenizers import clip_tokenizer

    text = "Hello, WORLD -- it's 2024 & naïve café"
    ref = open_clip.SimpleTokenizer()
    assert clip_tokenizer()(text)["input_ids"] == [
        ref.sot_token_id,
        *ref.encode(text),
        ref.eot_token_id,
    ]


@pytest.mark.parametrize("name", NAMES)
def test_save_pretrained_round_trip(neurons, name, tmp_path):
    """save_pretrained (model + tokenizer) -> path= rebuilds a neuron with identical tokens."""
    n = neurons[name]
    n.model.save_pretrained(tmp_path)
    n.tokenizer.save_pretrained(tmp_path)
    again = build_neuron(name, path=str(tmp_path))
    assert again.prompt_slot().depth == 1  # shallow by default
    with torch.no_grad():
        assert torch.equal(again(TEXTS).x, n(TEXTS).x)


def test_mismatched_directory_names_keys(neurons, tmp_path):
    """A saved model with another hidden size names the mis-shaped keys."""
    other = _build(
        "transformers/bert@1", config={**SMALL, "hidden_size": 64, "intermediate_size": 128}
    )
    other.model.save_pretrained(tmp_path)
    other.tokenizer.save_pretrained(tmp_path)
    from transformers import BertConfig

    BertConfig(**{**other.model.config.to_dict(), "hidden_size": 128}).save_pretrained(tmp_path)
    with pytest.raises(
        CheckpointError,
        match=r"transformers/bert@1: weights in '.*' do not match its BertModel: "
        r"\d+ mis-shaped keys \(embeddings\.",
    ):
        build_neuron("transformers/bert@1", path=str(tmp_path))


def test_checkpoint_file_round_trip_and_mismatch(neurons, tmp_path):
    """checkpoint= loads a state-dict file; one from another model names the offending keys."""
    from safetensors.torch import save_file

    n = neurons["transformers/clip-text@1"]
    f = tmp_path / "clip_text.safetensors"
    save_file({k: v.contiguous() for k, v in n.model.state_dict().items()}, str(f))
    again = _build(
        "transformers/clip-text@1", seed=5, config=SMALL, checkpoint=str(f), prompt_depth="deep"
    )
    assert torch.equal(again(TEXTS).x, n(TEXTS).x)
    want = r"37 missing keys \(embeddings\.word_embeddings\.weight.*36 unexpected keys \(embeddings\.position_embedding"
    with pytest.raises(CheckpointError, match=want):
        _build("transformers/bert@1", config=SMALL, checkpoint=str(f))


def test_config_errors():
    """Unknown config fields, path+config together and a missing directory are ConfigErrors."""
    with pytest.raises(
        ConfigError, match="unknown BertConfig fields: hiden_size \\(did you mean hidden_size\\?\\)"
    ):
        build_neuron("transformers/bert@1", config={"hiden_size": 64})
    with pytest.raises(ConfigError, match=r"either path= .* or config="):
        build_neuron("transformers/bert@1", path="/nonexistent", config={"num_hidden_layers": 1})
    with pytest.raises(ConfigError, match="must be a local directory written by save_pretrained"):
        build_neuron("transformers/bert@1", path="/nonexistent")
    with pytest.raises(ConfigError, match=r"max_length=600; expected an int in 1\.\.512"):
        build_neuron("transformers/bert@1", config=SMALL, max_length=600)


def test_max_length_truncates_and_fixed_padding():
    """max_length truncates long texts; padding='max_length' pads every batch to it."""
    n = _build("transformers/bert@1", config=SMALL, max_length=6, padding="max_length")
    out = n(TEXTS)
    assert tuple(out.x.shape) == (2, 6, 128) and out.mask.sum(1).tolist() == [4, 6]


def test_non_list_text_is_input_error(neurons):
    """A string or a tensor instead of a list of strings raises InputError."""
    n = neurons["transformers/roberta@1"]
    with pytest.raises(InputError, match=r"non-empty list of strings .* got str"):
        n("a cat")
    with pytest.raises(InputError, match="got Tensor"):
        n(torch.zeros(2, 4))


def test_full_clip_directory_serves_both_towers(tmp_path):
    """A saved CLIPModel directory loads as clip-text and as clip-vision with the same weights."""
    from transformers import CLIPConfig, CLIPModel

    from sen_transformers.local_tokenizers import clip_tokenizer

    small = {
        "hidden_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 128,
    }
    torch.manual_seed(0)
    clip = CLIPModel(
        CLIPConfig(
            text_config=small,
            vision_config={**small, "image_size": 32, "patch_size": 16},
            projection_dim=32,
        )
    ).eval()
    clip.save_pretrained(tmp_path)
    clip_tokenizer().save_pretrained(tmp_path)
    text = build_neuron("transformers/clip-text@1", path=str(tmp_path))
    vision = build_neuron("transformers/clip-vision@1", path=str(tmp_path))
    ids = text.preprocess(TEXTS)
    frames = vision.preprocess(torch.rand(2, 1, 3, 32, 32))
    with torch.no_grad():
        assert torch.allclose(
            text.encode(ids).x, clip.text_model(**ids).last_hidden_state, atol=1e-6
        )
        pooled = clip.vision_model(pixel_values=frames[:, 0]).pooler_output
        assert torch.allclose(vision.encode(frames).x[:, 0], pooled, atol=1e-5)
