"""sen/minilm-l6@1: the real all-MiniLM-L6-v2 weights give the sentence-transformers embedding."""

from __future__ import annotations

import pytest
import torch

from sen_core.catalogue import get_catalogue
from sen_core.neuron import build_neuron

SENTENCES = [
    "A man is eating food.",
    "A man is riding a white horse on an enclosed ground.",
    "Two dogs play in the snow, chasing a red ball across a wide open field near the old barn.",
]


@pytest.fixture(scope="module")
def minilm():
    return build_neuron("sen/minilm-l6@1")


def test_spec_and_width(minilm):
    """The spec is a 384-d token-promptable text encoder; prompt_depth='deep' gives one set per layer (6)."""
    spec = get_catalogue().get("sen/minilm-l6@1")
    assert (spec.modality, spec.width, spec.prompting, spec.layout.kind) == (
        "text",
        384,
        "tokens",
        "sequence",
    )
    slot = minilm.prompt_slot()
    assert (minilm.width, slot.dim, slot.depth, minilm.max_length) == (384, 384, 1, 256)
    assert build_neuron("sen/minilm-l6@1", prompt_depth="deep").prompt_slot().depth == 6


def test_pooled_tokens_equal_sentence_transformers(minilm):
    """Normalised masked-mean pooled tokens equal SentenceTransformer.encode(normalize) to 1e-5."""
    from sentence_transformers import SentenceTransformer

    from sen_transformers.local_tokenizers import minilm_path

    st = SentenceTransformer(minilm_path(), device="cpu", local_files_only=True)
    ref = torch.from_numpy(
        st.encode(SENTENCES, normalize_embeddings=True, batch_size=len(SENTENCES))
    )
    with torch.no_grad():
        ours = torch.nn.functional.normalize(minilm(SENTENCES).pooled(), dim=-1)
    assert ours.shape == (3, 384)
    assert torch.allclose(ours, ref, atol=1e-5, rtol=0)


def test_real_weights_rank_paraphrases_first(minilm):
    """Real weights: a paraphrase is closer than an unrelated sentence."""
    with torch.no_grad():
        e = torch.nn.functional.normalize(
            minilm(
                [
                    "A man is eating food.",
                    "A man is eating a piece of bread.",
                    "The stock market fell sharply today.",
                ]
            ).pooled(),
            dim=-1,
        )
    sim = e @ e.T
    assert sim[0, 1] > 0.5 > sim[0, 2]


def test_prompts_are_frozen_path(minilm):
    """Prompts change the tokens and get gradients while the MiniLM weights stay frozen."""
    p = (0.1 * torch.randn(3, 4, 384, generator=torch.Generator().manual_seed(0))).requires_grad_()
    base = minilm(SENTENCES)
    out = minilm(SENTENCES, p)
    assert out.x.shape == base.x.shape and (out.x - base.x).abs().max() > 1e-3
    out.pooled().sum().backward()
    assert p.grad.abs().sum() > 0
    assert not any(q.requires_grad for q in minilm.parameters())
