"""``transformers/bert@1``, ``transformers/roberta@1``, ``transformers/clip-text@1``: HF text encoders.

list[str] -> the model's tokenizer -> (B, L) ids + attention mask -> embeddings -> M prompt tokens
inserted after the first token ([CLS] / <s> / <|startoftext|>), the attention mask extended to
match -> the encoder -> last hidden states without the prompt positions: (B, L, D) + mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from sen_core.errors import ConfigError, InputError
from sen_core.neuron import (
    Layout,
    Tokens,
    Trainable,
    check_prompt_depth,
    check_texts,
    remove_tokens,
    shallow_if_single,
)
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .loading import load_model
from .prompting import HFPromptedNeuron

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["TEXT_DEFAULTS", "HFTextNeuron", "build_bert", "build_clip_text", "build_roberta"]

PADDING = ("longest", "max_length")
_SMALL = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 512,
}
TEXT_DEFAULTS: dict[str, dict[str, Any]] = {
    "bert": {**_SMALL, "vocab_size": 30522, "max_position_embeddings": 512},
    "roberta": {
        **_SMALL,
        "vocab_size": 261,
        "max_position_embeddings": 514,
        "type_vocab_size": 1,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    },
    "clip-text": {
        **_SMALL,
        "vocab_size": 49408,
        "max_position_embeddings": 77,
        "bos_token_id": 49406,
        "eos_token_id": 49407,
        "pad_token_id": 49407,
    },
}


# classes
class HFTextNeuron(HFPromptedNeuron):
    """A Hugging Face text encoder: list[str] -> (B, L, D) last hidden states + mask."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        model: PreTrainedModel,
        tokenizer: Any,
        max_length: int | None = None,
        padding: str = "longest",
        trainable: Trainable = "none",
        prompt_depth: str = "shallow",
        prompt_from: int = 0,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        deep = check_prompt_depth(prompt_depth, name=spec.name)
        if padding not in PADDING:
            raise ConfigError(f"{spec.name}: padding={padding!r}; expected one of {PADDING}")
        self.model = model
        self.tokenizer = tokenizer
        self.padding = padding
        limit = int(model.config.max_position_embeddings)
        if model.config.model_type in ("roberta", "xlm-roberta", "camembert"):
            limit -= int(model.config.pad_token_id) + 1  # RoBERTa positions start after the pad id
        if max_length is not None and not (
            isinstance(max_length, int) and 1 <= max_length <= limit
        ):
            raise ConfigError(
                f"{spec.name}: max_length={max_length!r}; expected an int in 1..{limit}"
            )
        self.max_length = int(
            max_length or min(limit, getattr(tokenizer, "model_max_length", limit))
        )
        self._setup_prompting(model, at=1, deep=deep, prompt_from=prompt_from)

    def preprocess(self, raw: Any) -> dict[str, Tensor]:
        texts = check_texts(raw, name=self.name)
        enc = self.tokenizer(
            texts,
            padding=self.padding,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        dev = next(self.model.parameters()).device
        keep = ("input_ids", "attention_mask", "token_type_ids")
        return {k: v.to(dev) for k, v in enc.items() if k in keep}

    def _hidden_mask(self, inputs: dict[str, Tensor], hidden: Tensor) -> Tensor | None:
        mask = inputs.get("attention_mask")
        return None if mask is None else mask.bool()

    def encode(self, inputs: dict[str, Tensor], prompts: Tensor | None = None) -> Tokens:
        if (
            not isinstance(inputs, dict)
            or "input_ids" not in inputs
            or inputs["input_ids"].ndim != 2
        ):
            raise InputError(
                f"{self.name}: encode() takes the dict from preprocess() with input_ids (B, L)"
            )
        ids = inputs["input_ids"]
        b, n = ids.shape
        mask = inputs.get("attention_mask", torch.ones_like(ids))
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        if self._late(inputs, prompts):  # prompts enter at layer prompt_from: split the forward
            return self.encode_suffix(self.encode_prefix(inputs), prompts)
        m = 0 if prompts is None else prompts.shape[-2]
        kwargs = dict(inputs)
        if m:  # prompts are always attended; they sit right after the first token
            kwargs["attention_mask"] = torch.cat(
                [mask[:, :1], mask.new_ones(b, m), mask[:, 1:]], dim=1
            )
        with self._hooks.applied(prompts):
            h = self.model(**kwargs).last_hidden_state  # (B, L + M, D)
        h = remove_tokens(h, 1, m)
        return Tokens(h, Layout(kind="sequence", tokens_per_frame=n), mask=mask.bool())


def _build(
    spec: EncoderSpec,
    family: str,
    model_cls: type,
    config_cls: type,
    default_tokenizer: Any,
    params: dict[str, Any],
) -> HFTextNeuron:
    check_params(spec, params)
    path = params.get("path")
    model = load_model(
        model_cls,
        config_cls,
        defaults=TEXT_DEFAULTS[family],
        path=path,
        config=params.get("config"),
        checkpoint=params.get("checkpoint"),
        name=spec.name,
        model_kwargs={"add_pooling_layer": False} if family != "clip-text" else None,
    )
    if path is not None:
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(
                str(path), local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{spec.name}: no tokenizer in '{path}' (save it with tokenizer.save_pretrained "
                f"next to the model): {str(exc).splitlines()[0]}"
            ) from exc
    else:
        tokenizer = default_tokenizer()
    return HFTextNeuron(
        spec,
        model=model,
        tokenizer=tokenizer,
        max_length=params.get("max_length"),
        padding=params.get("padding", "longest"),
        trainable=params.get("trainable", "none"),
        prompt_depth=params.get("prompt_depth", "shallow"),
        prompt_from=params.get("prompt_from", 0),
    )


def build_bert(spec: EncoderSpec, **params: Any) -> HFTextNeuron:
    """Factory of ``transformers/bert@1``."""
    from transformers import BertConfig, BertModel

    from .local_tokenizers import bert_tokenizer

    return _build(spec, "bert", BertModel, BertConfig, bert_tokenizer, params)


def build_roberta(spec: EncoderSpec, **params: Any) -> HFTextNeuron:
    """Factory of ``transformers/roberta@1``."""
    from transformers import RobertaConfig, RobertaModel

    from .local_tokenizers import roberta_tokenizer

    return _build(spec, "roberta", RobertaModel, RobertaConfig, roberta_tokenizer, params)


def build_clip_text(spec: EncoderSpec, **params: Any) -> HFTextNeuron:
    """Factory of ``transformers/clip-text@1``."""
    from transformers import CLIPTextConfig, CLIPTextModel

    from .local_tokenizers import clip_tokenizer

    return _build(spec, "clip-text", CLIPTextModel, CLIPTextConfig, clip_tokenizer, params)
