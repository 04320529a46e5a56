"""Tiny random super neurons for conformance checks and tests (public: ``sen_core.testing.toys``).

Four neurons that cover what a block must handle: a token-prompted ViT (image, 32x32 frames, width
32), a FiLM CNN (image, width 16), a non-promptable 3-D conv (video, width 24) and a masked text
transformer (width 24, token-prompted or fixed). Weights come from a local seed, so two builds of
the same spec are identical (save/load round trips rely on it); each forward takes milliseconds.
``TOY_ENCODERS`` holds their specs, ``toy_catalogue(*specs)`` a catalogue of them plus ``specs``.
Torch is imported at module level: import this module only where torch is needed.
"""

from __future__ import annotations

import zlib
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.network.attention import FeedForward, SelfAttention
from sen_core.neuron import (
    Layout,
    PromptSlot,
    SuperNeuron,
    Tokens,
    resize_frames,
    select_tokens,
    to_frames,
)
from sen_core.specs import EncoderSpec, Preprocess, TokenLayout, Trainable

__all__ = [
    "TOY_ENCODERS",
    "ToyFilmCNN",
    "ToyText",
    "ToyViT",
    "ToyVideo",
    "toy_catalogue",
]

MODULE = "sen_core.testing.toys"


class _Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.attn = SelfAttention(width, 2)
        self.ffn = FeedForward(width, 2)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.norm(x), mask)
        out: Tensor = x + self.ffn(x)
        return out


class ToyViT(SuperNeuron):
    """32x32 frames, 8x8 patches: 1 CLS + 4x4 patches of width 32; prompts after the embedding.

    Args:
        spec: its EncoderSpec; trainable: see ``SuperNeuron``.
        tokens_per_frame: 'all', 'cls' or an int; seed: weights' seed.
        width, layers, image_size: model size.
    """

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        trainable: Trainable = "none",
        tokens_per_frame: Any = "all",
        seed: int = 0,
        width: int = 32,
        layers: int = 2,
        image_size: int = 32,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = nn.Conv2d(3, width, 8, 8)
            self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.1)
            self.pos = nn.Parameter(torch.randn(1, 1 + (image_size // 8) ** 2, width) * 0.1)
            self.blocks = nn.ModuleList(_Block(width) for _ in range(layers))
            self.norm = nn.LayerNorm(width)
        self.width, self.size, self.tpf = width, image_size, tokens_per_frame
        self.grid = (image_size // 8, image_size // 8)
        self.apply_trainable(self)

    def prompt_slot(self) -> PromptSlot:
        return PromptSlot("tokens", dim=self.width)

    def preprocess(self, raw: Any) -> Tensor:
        frames = to_frames(raw, name=self.name)  # (B, T, 3, H, W)
        b, t = frames.shape[:2]
        return resize_frames(frames.flatten(0, 1), self.size, None, None).reshape(
            b, t, 3, self.size, self.size
        )

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = x.shape[:2]
        prompts = self.check_prompts(prompts, b)
        h = self.embed(x.flatten(0, 1)).flatten(2).transpose(1, 2)  # (BT, 16, W)
        h = torch.cat([self.cls.expand(h.shape[0], -1, -1), h], 1) + self.pos
        m = 0
        if prompts is not None:
            p = prompts.repeat_interleave(t, dim=0)  # the clip's prompts for each of its frames
            h, m = torch.cat([h[:, :1], p, h[:, 1:]], 1), p.shape[1]
        for blk in self.blocks:
            h = blk(h)
        h = self.norm(h)
        h = torch.cat([h[:, :1], h[:, 1 + m :]], 1)
        sel, tpf, grid, special = select_tokens(h, special=1, grid=self.grid, mode=self.tpf)
        return Tokens(
            sel.reshape(b, t * tpf, self.width),
            Layout("frames", frames=t, tokens_per_frame=tpf, grid=grid, special_tokens=special),
        )


class ToyFilmCNN(SuperNeuron):
    """Two stride-2 conv stages (8, 16 channels) with FiLM after each; 2x2 tokens per frame, width 16.

    Args:
        spec: its EncoderSpec; trainable: see ``SuperNeuron``; seed: weights' seed.
    """

    channels = (8, 16)

    def __init__(self, spec: EncoderSpec, *, trainable: Trainable = "none", seed: int = 1) -> None:
        super().__init__(spec, trainable=trainable)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.stages = nn.ModuleList([nn.Conv2d(3, 8, 3, 2, 1), nn.Conv2d(8, 16, 3, 2, 1)])
        self.width = 16
        self.apply_trainable(self)

    def prompt_slot(self) -> PromptSlot:
        return PromptSlot("film", channels=self.channels)

    def preprocess(self, raw: Any) -> Tensor:
        frames = to_frames(raw, name=self.name)
        b, t = frames.shape[:2]
        return resize_frames(frames.flatten(0, 1), 16, None, None).reshape(b, t, 3, 16, 16)

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = x.shape[:2]
        prompts = self.check_prompts(prompts, b)
        h = x.flatten(0, 1)
        offset = 0
        for conv, c in zip(self.stages, self.channels, strict=True):
            h = F.gelu(conv(h))
            if prompts is not None:
                film = prompts.repeat_interleave(t, dim=0)
                scale, shift = film[:, offset : offset + c], film[:, offset + c : offset + 2 * c]
                h = h * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
                offset += 2 * c
        h = F.adaptive_avg_pool2d(h, 2).flatten(2).transpose(1, 2)  # (BT, 4, 16)
        return Tokens(
            h.reshape(b, t * 4, 16), Layout("frames", frames=t, tokens_per_frame=4, grid=(2, 2))
        )


class ToyVideo(SuperNeuron):
    """A 3-D conv over the clip (tubelets of 2 frames): T/2 tokens of width 24; no prompts.

    Args:
        spec: its EncoderSpec; trainable: see ``SuperNeuron``; seed: weights' seed.
    """

    def __init__(self, spec: EncoderSpec, *, trainable: Trainable = "none", seed: int = 2) -> None:
        super().__init__(spec, trainable=trainable)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.conv = nn.Conv3d(3, 24, (2, 8, 8), (2, 8, 8))
        self.width = 24
        self.apply_trainable(self)

    def preprocess(self, raw: Any) -> Tensor:
        frames = to_frames(raw, name=self.name)
        b, t = frames.shape[:2]
        return resize_frames(frames.flatten(0, 1), 16, None, None).reshape(b, t, 3, 16, 16)

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        self.check_prompts(prompts, x.shape[0])
        h = self.conv(x.transpose(1, 2)).mean((3, 4)).transpose(1, 2)  # (B, T/2, 24)
        return Tokens(h, Layout("frames", frames=h.shape[1], tokens_per_frame=1))


class ToyText(SuperNeuron):
    """Words hashed into 97 ids, at most 8 tokens, one attention layer of width 24, with a mask.

    Args:
        spec: its EncoderSpec (prompting 'tokens' or 'none'); trainable: see ``SuperNeuron``.
        seed: weights' seed; max_length: tokens kept per text.
    """

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        trainable: Trainable = "none",
        seed: int = 3,
        max_length: int = 8,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.emb = nn.Embedding(97, 24)
            self.pos = nn.Parameter(torch.randn(1, max_length, 24) * 0.1)
            self.block = _Block(24)
        self.width, self.max_length = 24, max_length
        self.apply_trainable(self)

    def prompt_slot(self) -> PromptSlot | None:
        return PromptSlot("tokens", dim=24) if self.spec.prompting == "tokens" else None

    def preprocess(self, raw: Any) -> tuple[Tensor, Tensor]:
        texts = list(raw)
        ids = torch.zeros(len(texts), self.max_length, dtype=torch.long)
        for i, s in enumerate(texts):
            words = [1 + zlib.crc32(w.encode()) % 96 for w in s.lower().split()][
                : self.max_length
            ] or [1]
            ids[i, : len(words)] = torch.tensor(words)
        n = int((ids > 0).sum(1).max())
        return ids[:, :n], ids[:, :n] > 0

    def encode(self, inputs: tuple[Tensor, Tensor], prompts: Tensor | None = None) -> Tokens:
        ids, mask = inputs
        prompts = self.check_prompts(prompts, ids.shape[0])
        h = self.emb(ids) + self.pos[:, : ids.shape[1]]
        full = mask
        if prompts is not None:
            h = torch.cat([prompts, h], 1)
            full = torch.cat([mask.new_ones(prompts.shape[:2]), mask], 1)
        h = self.block(h, full)
        if prompts is not None:
            h = h[:, prompts.shape[1] :]
        return Tokens(h, Layout("sequence", tokens_per_frame=h.shape[1]), mask=mask)


# ---- specs ---------------------------------------------------------------------------------------
def _frames(tpf: int, grid: tuple[int, int] | None = None, special: int = 0) -> TokenLayout:
    return TokenLayout(kind="frames", tokens_per_frame=tpf, grid=grid, special_tokens=special)


TOY_ENCODERS = (
    EncoderSpec(
        name="toy/vit@1",
        summary="tiny token-prompted ViT",
        factory=f"{MODULE}:ToyViT",
        modality="image",
        width=32,
        layout=_frames(17, (4, 4), 1),
        preprocess=Preprocess(image_size=32),
        prompting="tokens",
        params={"tokens_per_frame": "all", "seed": 0},
    ),
    EncoderSpec(
        name="toy/film@1",
        summary="tiny FiLM CNN",
        factory=f"{MODULE}:ToyFilmCNN",
        modality="image",
        width=16,
        layout=_frames(4, (2, 2)),
        prompting="film",
        params={"seed": 1},
    ),
    EncoderSpec(
        name="toy/video@1",
        summary="tiny 3-D conv, no prompts",
        factory=f"{MODULE}:ToyVideo",
        modality="video",
        width=24,
        layout=_frames(1),
        params={"seed": 2},
    ),
    EncoderSpec(
        name="toy/text@1",
        summary="tiny token-prompted text encoder",
        factory=f"{MODULE}:ToyText",
        modality="text",
        width=24,
        layout=TokenLayout(kind="sequence"),
        prompting="tokens",
        params={"seed": 3},
    ),
    EncoderSpec(
        name="toy/text-fixed@1",
        summary="tiny text encoder, no prompts",
        factory=f"{MODULE}:ToyText",
        modality="text",
        width=24,
        layout=TokenLayout(kind="sequence"),
        params={"seed": 4},
    ),
)


def toy_catalogue(*specs: Any) -> Any:
    """A catalogue of the toy encoders (namespace ``toy``) plus ``specs`` (e.g. a block under test).

    Args:
        specs: more specs to add as they are (their provenance kept).

    Returns:
        A ``sen_core.catalogue.Catalogue``, independent of the installed plugins.

    Raises:
        DuplicateNameError: when a spec's name is already in it.
    """
    from sen_core._version import __version__
    from sen_core.catalogue._catalogue import Catalogue
    from sen_core.specs import Provenance

    cat = Catalogue()
    prov = Provenance(plugin="sen-testing-toys", distribution="sen", version=__version__)
    for spec in (*TOY_ENCODERS, *specs):
        cat.add(spec if spec.provenance else spec.model_copy(update={"provenance": prov}))
    return cat
