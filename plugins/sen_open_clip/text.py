"""``open_clip/<arch>/text``: an open_clip text tower as a super neuron.

list[str] -> open_clip's tokenizer for the architecture -> (B, L) ids -> token embedding + positions
-> M prompt tokens inserted after the start token (the causal / padding attention mask grows to
match) -> the tower's blocks -> prompts dropped -> (B, L, D) tokens with a validity mask, or the
tower's own pooled embedding as a one-token sequence (``output="pooled"``: EOT / first / last token,
as open_clip pools).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor

from sen_core.errors import ConfigError, InputError
from sen_core.neuron import (
    Boundary,
    Layout,
    PromptSlot,
    SuperNeuron,
    Tokens,
    Trainable,
    check_prompt_depth,
    check_texts,
    shallow_if_single,
)
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .towers import build_text, load_tower_checkpoint

__all__ = ["OpenClipTextNeuron", "build", "prompt_attn_mask"]

OUTPUTS = ("sequence", "pooled")


# helpers
@functools.lru_cache(maxsize=8)
def _tokenizer(arch: str, name: str) -> Any:
    """open_clip's tokenizer for ``arch`` (cached: reading the BPE table takes a while)."""
    import open_clip

    try:
        return open_clip.get_tokenizer(arch)
    except Exception as exc:  # HF tokenizers need the hub unless cached locally
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ConfigError(
            f"{name}: open_clip could not load the tokenizer of '{arch}' offline ({type(exc).__name__}: "
            f"{first}); architectures with Hugging Face tokenizers need them in the local Hugging Face cache"
        ) from exc


def prompt_attn_mask(mask: Tensor | None, m: int, *, causal: bool) -> Tensor | None:
    """Grow an additive (S, S) or (B*H, S, S) mask by ``m`` prompt positions inserted at index 1.

    Prompt queries see what the start token sees (plus earlier prompts when causal); every later
    token sees the prompts; under a causal mask the start token does not.
    """
    if mask is None or m == 0:
        return mask
    s = mask.shape[-1]
    idx = torch.cat([torch.zeros(m + 1, dtype=torch.long), torch.arange(1, s)]).to(mask.device)
    out = mask.index_select(-2, idx).index_select(-1, idx).clone()
    q = torch.arange(s + m, device=mask.device).unsqueeze(1)  # new query positions
    k = torch.arange(1, m + 1, device=mask.device).unsqueeze(0)  # new prompt key positions
    allowed = q >= k if causal else torch.ones(s + m, m, dtype=torch.bool, device=mask.device)
    out[..., :, 1 : 1 + m] = torch.where(allowed, 0.0, float("-inf")).to(mask.dtype)
    return out


# classes
class OpenClipTextNeuron(SuperNeuron):
    """An open_clip native text tower: list[str] -> (B, L, D) tokens + mask (or (B, 1, D) pooled)."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        arch: str,
        output: str = "sequence",
        project: bool = True,
        checkpoint: str | None = None,
        trainable: Trainable = "none",
        prompt_depth: str = "shallow",
        prompt_from: int = 0,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        deep = check_prompt_depth(prompt_depth, name=spec.name)
        if output not in OUTPUTS:
            raise ConfigError(f"{spec.name}: output={output!r}; expected one of {OUTPUTS}")
        tower, _cfg = build_text(arch, name=spec.name)
        text: Any = tower  # open_clip's TextTransformer: resblocks, text_projection... untyped
        if checkpoint:
            load_tower_checkpoint(text, str(checkpoint), tower="text", name=spec.name)
        self.text = text
        self.arch = arch
        self.output = output
        self.project = bool(project) and text.text_projection is not None
        self.context_length = int(text.context_length)
        self.tokenizer = _tokenizer(arch, spec.name)
        proj = text.text_projection
        if self.project:
            self.width = int(
                proj.out_features if isinstance(proj, torch.nn.Linear) else proj.shape[1]
            )
        else:
            self.width = int(text.width)
        self.init_prompt_from(prompt_from)
        blocks = len(text.transformer.resblocks) - prompt_from  # prompted blocks
        self._slot = PromptSlot(kind="tokens", dim=int(text.width), depth=blocks if deep else 1)
        self.apply_trainable(self.text)
        self.train()

    # ---- contract ---------------------------------------------------------------------------
    def prompt_slot(self) -> PromptSlot | None:
        return self._slot

    def preprocess(self, raw: Any) -> Tensor:
        texts = check_texts(raw, name=self.name)
        ids = self.tokenizer(texts)  # (B, L) at the tower's context length
        return ids.to(self.text.token_embedding.weight.device)

    def valid_mask(self, ids: Tensor) -> Tensor:
        """(B, L) True up to and including the end-of-text token."""
        eot = getattr(self.tokenizer, "eot_token_id", None)
        if eot is None:
            valid = ids != self.text.pad_id
            valid[:, 0] = True
            return valid
        hit = ids == eot
        end = torch.where(
            hit.any(1), hit.int().argmax(1), torch.full_like(ids[:, 0], ids.shape[1] - 1)
        )
        return torch.arange(ids.shape[1], device=ids.device).unsqueeze(0) <= end.unsqueeze(1)

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        if not isinstance(inputs, Tensor) or inputs.ndim != 2 or inputs.is_floating_point():
            got = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
            raise InputError(
                f"{self.name}: encode() takes token ids (B, L) from preprocess(), got {got}"
            )
        x, mask = self._embeds(inputs)
        assert x is not None  # tokens=True embeds them
        for blk in self.text.transformer.resblocks[: self.prompt_from]:
            x = blk(x, attn_mask=mask)
        return self._from_boundary(inputs, x, mask, prompts)

    # ---- prompt boundary ----------------------------------------------------------------------
    suffix_reads_inputs = True  # the suffix pools and masks by the token ids

    def prompt_boundaries(self) -> tuple[int, ...]:
        return tuple(range(len(self.text.transformer.resblocks)))

    @property
    def splits(self) -> bool:
        return True

    def encode_prefix(self, inputs: Tensor) -> Boundary:
        """Token ids (B, L) -> the tokens entering block ``prompt_from`` (B, S, W) + prompt-free
        Tokens; the boundary keeps the ids (the suffix pools and masks by them)."""
        x, mask = self._embeds(inputs)
        assert x is not None  # tokens=True embeds them
        for blk in self.text.transformer.resblocks[: self.prompt_from]:
            x = blk(x, attn_mask=mask)
        out = self._from_boundary(inputs, x, mask, None)
        return Boundary(output=out, hidden=x, inputs=inputs)

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        if boundary.hidden is None:
            return super().encode_suffix(boundary, prompts)
        _, mask = self._embeds(boundary.inputs, tokens=False)
        return self._from_boundary(boundary.inputs, boundary.hidden, mask, prompts)

    def _embeds(self, inputs: Tensor, *, tokens: bool = True) -> tuple[Tensor | None, Any]:
        """(B, S, W) embedded tokens (None when ``tokens`` is False) and the attention mask."""
        x, mask = self.text._embeds(inputs)  # S = L (+1 for CoCa's appended class token)
        s = x.shape[1]
        if mask is not None and mask.shape[-1] != s:
            mask = mask[..., :s, :s]
        return (x if tokens else None), mask

    def _from_boundary(
        self, inputs: Tensor, x: Tensor, mask: Tensor | None, prompts: Tensor | None
    ) -> Tokens:
        """Tokens entering block ``prompt_from`` [+ prompts] -> the tower's output Tokens."""
        from open_clip.transformer import text_global_pool

        tt = self.text
        b = inputs.shape[0]
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        deep = prompts is not None and prompts.ndim == 4
        m = 0 if prompts is None else prompts.shape[-2]
        if prompts is not None:
            p0 = prompts[:, 0] if deep else prompts
            x = torch.cat([x[:, :1], p0.to(x.dtype), x[:, 1:]], dim=1)
            mask = prompt_attn_mask(mask, m, causal=tt.attn_mask is not None)
        start = self.prompt_from
        for i, blk in enumerate(tt.transformer.resblocks[start:], start):
            if deep and prompts is not None and i > start:
                x = torch.cat([x[:, :1], prompts[:, i - start].to(x.dtype), x[:, 1 + m :]], dim=1)
            x = blk(x, attn_mask=mask)
        x = torch.cat(
            [x[:, :1], x[:, 1 + m :]], dim=1
        )  # prompt positions dropped: original indices again
        x = tt.ln_final(x)  # per token, so pooled tokens below equal open_clip's
        if tt.cls_emb is not None:  # CoCa: the appended class token is the pooled one
            pooled, seq = x[:, -1], x[:, :-1]
        else:
            pooled = text_global_pool(
                x, inputs, tt.pool_type, eos_token_id=getattr(tt, "eos_id", None)
            )
            seq = x
        out = pooled.unsqueeze(1) if self.output == "pooled" else seq
        if self.project:
            proj = tt.text_projection
            out = proj(out) if isinstance(proj, torch.nn.Linear) else out @ proj
        n = out.shape[1]
        if self.output == "pooled":  # a one-token sequence, so the layout kind stays the spec's
            mask = torch.ones(b, 1, dtype=torch.bool, device=out.device)
        else:
            mask = self.valid_mask(inputs)[:, :n]
        return Tokens(out, Layout(kind="sequence", tokens_per_frame=n), mask=mask)


def build(spec: EncoderSpec, **params: Any) -> OpenClipTextNeuron:
    """Factory of ``open_clip/<arch>/text`` (params: see docs/neurons-open_clip.md)."""
    check_params(spec, params)
    if "arch" not in params:
        from .family import split

        params["arch"] = split(spec.name)[0]
    return OpenClipTextNeuron(spec, **params)
