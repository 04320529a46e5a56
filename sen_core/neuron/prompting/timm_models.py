"""How prompts enter a timm model: prompt tokens for ViT-style transformers, FiLM for staged models.

``prompting_for`` says which a timm architecture takes; ``TokenPrompter`` re-runs a ViT / DeiT /
EVA / BEiT forward step by step with M prompt tokens inserted after the prefix (CLS/register)
tokens; ``FilmHooks`` scales and shifts the outputs of the stages named in the model's
``feature_info``. Shared here because two plugins prompt timm models (sen_timm's neurons and
sen_open_clip's timm-trunk and ModifiedResNet towers) and a plugin must not import another.
timm and torch are imported only inside functions, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sen_core.errors import ConfigError, InputError
from sen_core.neuron.prompting.timm_film_stages import film_stages, modulate

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = [
    "TOKEN_MODULES",
    "FilmHooks",
    "TokenPrompter",
    "film_chain",
    "model_module",
    "prompting_for",
]

# timm model modules whose models are plain ViT-style token transformers (patch_embed, prefix
# tokens + position embedding, a list of blocks, final norm): prompts go in as extra tokens.
# Every other family prompts by FiLM on the stages named in the model's ``feature_info``.
TOKEN_MODULES = frozenset(
    {"vision_transformer", "vision_transformer_hybrid", "deit", "eva", "beit"}
)


def model_module(arch: str) -> str:
    """The timm module an architecture lives in, e.g. ``'vision_transformer'``.

    Args:
        arch: a timm model name (``vit_small_patch16_224``).
    """
    from timm.models import model_entrypoint

    return model_entrypoint(arch).__module__.rsplit(".", 1)[-1]


def prompting_for(arch: str) -> str:
    """``'tokens'`` for ViT-style transformers, ``'film'`` for everything with feature stages.

    Args:
        arch: a timm model name.
    """
    return "tokens" if model_module(arch) in TOKEN_MODULES else "film"


# helpers


def _pad_square(bias: Tensor, at: int, m: int) -> Tensor:
    """(..., S, S) attention bias -> (..., S + m, S + m) with zero bias to and from inserted tokens."""
    import torch

    rows = bias.new_zeros(*bias.shape[:-2], m, bias.shape[-1])
    bias = torch.cat([bias[..., :at, :], rows, bias[..., at:, :]], dim=-2)
    cols = bias.new_zeros(*bias.shape[:-1], m)
    return torch.cat([bias[..., :at], cols, bias[..., at:]], dim=-1)


# classes
class TokenPrompter:
    """Stage-wise forward of a ViT-style timm model that accepts prompt tokens.

    Shallow prompts (N, M, D) are inserted once after the position embedding; deep prompts
    (N, depth, M, D) replace the prompt positions before every block (VPT-deep). The output is the
    final-normed sequence (N, S, D) with the prompt positions removed, i.e. what
    ``model.forward_features`` returns for an unprompted input.

    Args:
        model: a timm VisionTransformer (vit, deit), Eva or Beit model.
    """

    def __init__(self, model: nn.Module) -> None:
        from timm.models.beit import Beit
        from timm.models.eva import Eva
        from timm.models.vision_transformer import VisionTransformer

        if isinstance(model, VisionTransformer):
            self.family = "vit"
        elif isinstance(model, Eva):
            self.family = "eva"
        elif isinstance(model, Beit):
            self.family = "beit"
        else:
            raise ConfigError(
                f"timm model {type(model).__name__} does not support prompt tokens; token prompting "
                "works for VisionTransformer (vit, deit), Eva and Beit models"
            )
        # family-specific timm attributes (blocks, _pos_embed, rel_pos_bias...) are read dynamically
        self.model: Any = model
        self.num_prefix_tokens: int = int(getattr(model, "num_prefix_tokens", 1))
        self.depth: int = len(model.blocks)
        self.dim: int = int(model.num_features)

    # ---- embedding + per-block arguments, per family ----------------------------------------
    def _embed(self, x: Tensor) -> tuple[Tensor, Callable[[int, int], dict[str, Any]]]:
        m = self.model
        if self.family == "vit":
            x = m.norm_pre(m.patch_drop(m._pos_embed(m.patch_embed(x))))
            return x, lambda i, n_prompts: {}
        if self.family == "eva":
            x, rope = m._pos_embed(m.patch_embed(x))
            x = m.norm_pre(x)
            mixed = getattr(m, "rope_mixed", False) and rope is not None
            return x, lambda i, n_prompts: {"rope": rope[i] if mixed else rope}
        # beit: cls token + absolute position embedding, optional shared relative position bias
        import torch

        x = m.patch_embed(x)
        x = torch.cat((m.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        if m.pos_embed is not None:
            x = x + m.pos_embed
        x = m.pos_drop(x)
        shared = m.rel_pos_bias() if m.rel_pos_bias is not None else None
        at = self.num_prefix_tokens

        def kwargs(i: int, n_prompts: int) -> dict[str, Any]:
            bias = (
                _pad_square(shared, at, n_prompts) if shared is not None and n_prompts else shared
            )
            return {"shared_rel_pos_bias": bias}

        return x, kwargs

    @contextmanager
    def _room_for(self, n_prompts: int) -> Iterator[None]:
        """Make the blocks accept ``n_prompts`` extra tokens (position-dependent parts skip them)."""
        if not n_prompts or self.family == "vit":
            yield
            return
        patched: list[tuple[nn.Module, str, Any]] = []
        try:
            for mod in self.model.blocks.modules():
                if self.family == "eva" and isinstance(
                    getattr(mod, "num_prefix_tokens", None), int
                ):
                    # RoPE rotates only tokens after the prefix: prompts ride along as prefix tokens.
                    patched.append((mod, "num_prefix_tokens", mod.num_prefix_tokens))
                    mod.num_prefix_tokens = mod.num_prefix_tokens + n_prompts
                elif (
                    self.family == "beit"
                    and getattr(mod, "relative_position_bias_table", None) is not None
                ):
                    orig = mod._get_rel_pos_bias
                    at = self.num_prefix_tokens
                    # instance attribute shadows the method for this forward only
                    mod._get_rel_pos_bias = lambda orig=orig, at=at: _pad_square(
                        orig(), at, n_prompts
                    )
                    patched.append((mod, "_get_rel_pos_bias", None))
            yield
        finally:
            for mod, attr, old in patched:
                if old is None:
                    delattr(mod, attr)
                else:
                    setattr(mod, attr, old)

    @property
    def splits(self) -> bool:
        """Plain ViTs pass nothing but tokens between blocks, so a forward can stop at any block."""
        return self.family == "vit"

    def _check(self, prompts: Tensor, start: int) -> None:
        want = self.depth - start
        if prompts.ndim == 4 and prompts.shape[1] != want:
            raise InputError(
                f"deep prompts need one set per block from block {start} on: (N, {want}, M, D), "
                f"got {tuple(prompts.shape)}"
            )

    def forward(self, x: Tensor, prompts: Tensor, start: int = 0) -> Tensor:
        """(N, 3, H, W) images + prompts (N, M, D) or (N, depth - start, M, D) -> (N, S, D) tokens.

        Prompts enter before block ``start``; blocks before it run unprompted.

        Args:
            x: images; prompts: shallow or deep prompt tokens; start: the first prompted block.
        """
        import torch

        from sen_core.neuron.inputs import insert_tokens, remove_tokens

        self._check(prompts, start)
        deep = prompts.ndim == 4
        n_prompts = prompts.shape[-2]
        at = self.num_prefix_tokens
        x, block_kwargs = self._embed(x)
        for i in range(start):
            x = self.model.blocks[i](x, **block_kwargs(i, 0))
        x = insert_tokens(x, prompts[:, 0] if deep else prompts, at)
        with self._room_for(n_prompts):
            for i in range(start, self.depth):
                if deep and i > start:
                    x = torch.cat(
                        [x[:, :at], prompts[:, i - start].to(x.dtype), x[:, at + n_prompts :]],
                        dim=1,
                    )
                x = self.model.blocks[i](x, **block_kwargs(i, n_prompts))
        x = self.model.norm(x)
        return remove_tokens(x, at, n_prompts)

    def prefix(self, x: Tensor, start: int) -> Tensor:
        """(N, 3, H, W) -> (N, S, D): the tokens entering block ``start`` (plain ViTs only)."""
        h, _ = self._embed(x)
        for blk in self.model.blocks[:start]:
            h = blk(h)
        return h

    def suffix(self, h: Tensor, prompts: Tensor | None, start: int) -> Tensor:
        """Tokens entering block ``start`` [+ prompts] -> (N, S, D), as ``forward`` would give."""
        import torch

        from sen_core.neuron.inputs import insert_tokens, remove_tokens

        if prompts is None:
            for blk in self.model.blocks[start:]:
                h = blk(h)
            out: Tensor = self.model.norm(h)
            return out
        self._check(prompts, start)
        deep = prompts.ndim == 4
        at, n_prompts = self.num_prefix_tokens, prompts.shape[-2]
        h = insert_tokens(h, prompts[:, 0] if deep else prompts, at)
        for i in range(start, self.depth):
            if deep and i > start:
                h = torch.cat(
                    [h[:, :at], prompts[:, i - start].to(h.dtype), h[:, at + n_prompts :]], dim=1
                )
            h = self.model.blocks[i](h)
        return remove_tokens(self.model.norm(h), at, n_prompts)


def film_chain(model: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """``forward_features`` of a chain-structured CNN as its (name, module) steps, else None.

    EfficientNet / MobileNetV3 (stem, blocks.i, head) and ResNet (stem, layer1..4) run their
    features as a plain chain, so a FiLM stage output is a place where a forward can stop.

    Args:
        model: a timm model.
    """
    from timm.models.efficientnet import EfficientNet
    from timm.models.mobilenetv3 import MobileNetV3
    from timm.models.resnet import ResNet

    if isinstance(model, EfficientNet):
        names = ["conv_stem", "bn1"] + [f"blocks.{i}" for i in range(len(model.blocks))]
        names += ["conv_head", "bn2"]
    elif isinstance(model, MobileNetV3):
        names = ["conv_stem", "bn1"] + [f"blocks.{i}" for i in range(len(model.blocks))]
    elif isinstance(model, ResNet):
        names = ["conv1", "bn1", "act1", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    else:
        return None
    return [(n, model.get_submodule(n)) for n in names]


class FilmHooks:
    """Forward hooks that apply x * (1 + s) + b to each ``feature_info`` stage output.

    The FiLM prompt (N, 2 * sum(C)) is stage-major: [s_0 (C_0), b_0 (C_0), s_1 (C_1), b_1 (C_1), ...]
    over the stages from ``first`` on (earlier stages are left alone: the prompt boundary).
    Outside ``applied(...)`` the hooks do nothing, so an unprompted forward is the plain model.

    Args:
        model: a timm model with ``feature_info`` stages (hooks are registered on it).
    """

    def __init__(self, model: nn.Module) -> None:
        # stage modules that really run, mapped from feature_info (sen_core.neuron.prompting.timm_film_stages)
        stages = film_stages(model)
        self.modules: list[str] = [name for name, _ in stages]
        self.channels: tuple[int, ...] = tuple(c for _, c in stages)
        # channels-last models (swin, ...) say so; token sequences (N, L, C) are channels-last too
        self.channels_last = getattr(model, "output_fmt", "NCHW") == "NHWC"
        self.first = 0
        self.chain = film_chain(model)
        self._film: list[tuple[Tensor, Tensor] | None] | None = None
        self._handles = [
            model.get_submodule(name).register_forward_hook(self._hook(i))
            for i, name in enumerate(self.modules)
        ]

    @property
    def size(self) -> int:
        """The FiLM prompt width: 2 * the channels of the prompted stages."""
        return 2 * sum(self.channels[self.first :])

    @property
    def splits(self) -> bool:
        """A chain CNN whose FiLM stages are all chain steps can stop at any stage output."""
        return self.chain is not None and set(self.modules) <= {n for n, _ in self.chain}

    def _cut(self) -> int:
        """Index in ``chain`` just after the first prompted stage's module."""
        assert self.chain is not None
        names = [n for n, _ in self.chain]
        return names.index(self.modules[self.first]) + 1

    def prefix(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) -> the first prompted stage's output, before its FiLM."""
        assert self.chain is not None
        for _, mod in self.chain[: self._cut()]:
            x = mod(x)
        return x

    def suffix(self, h: Tensor, film: Tensor | None) -> Tensor:
        """The first prompted stage's output [+ FiLM] -> ``forward_features`` output."""
        assert self.chain is not None
        with self.applied(film):
            filmed = self._hook(self.first)(self.chain[self._cut() - 1][1], (), h)
            h = h if filmed is None else filmed
            for _, mod in self.chain[self._cut() :]:
                h = mod(h)
        return h

    def _hook(self, stage: int) -> Callable[[nn.Module, Any, Any], Any]:
        # a stage output is a tensor, or a tuple/list of them (its modulated copy is returned)
        def hook(module: nn.Module, args: Any, out: Any) -> Any:
            film = None if self._film is None else self._film[stage]
            if film is None:
                return None
            s, b = film  # (N, C) each
            # tuple/list outputs (pit, tnt, crossvit, ...): the element carrying this stage's channels
            return modulate(
                out,
                [(self.channels[stage], s, b)],
                channels_last=self.channels_last,
                where=self.modules[stage],
            )

        return hook

    @contextmanager
    def applied(self, film: Tensor | None) -> Iterator[None]:
        """Within the block, stage outputs are modulated by ``film`` (N, 2 * sum(C)); None = no-op.

        Args:
            film: the FiLM prompt, stage-major scales and shifts, or None.
        """
        if film is None:
            yield
            return
        parts: list[tuple[Tensor, Tensor] | None] = [None] * self.first
        i = 0
        for c in self.channels[self.first :]:
            parts.append((film[:, i : i + c], film[:, i + c : i + 2 * c]))
            i += 2 * c
        self._film = parts
        try:
            yield
        finally:
            self._film = None

    def remove(self) -> None:
        """Detach the hooks from the model."""
        for h in self._handles:
            h.remove()
