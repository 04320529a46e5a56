"""``open_clip/<arch>/image``: an open_clip image tower as a per-frame super neuron.

Frames (B, T, 3, S, S) run as one (B*T) batch. ViT towers take prompt tokens after the class token
(shallow (B, M, W) or deep (B, depth, M, W)); ModifiedResNet towers take FiLM on their four stages;
timm-trunk towers prompt the way sen_timm prompts the trunk. With ``project=True`` every output token
goes through the tower's projection, so the class token equals open_clip's ``encode_image``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from sen_core.errors import ConfigError
from sen_core.neuron import (
    Boundary,
    PromptSlot,
    SuperNeuron,
    Tokens,
    Trainable,
    check_preprocessed_frames,
    check_prompt_depth,
    check_tokens_per_frame,
    frame_tokens,
    insert_tokens,
    per_frame,
    remove_tokens,
    shallow_if_single,
    video_to_frames,
)
from sen_core.params import check_params
from sen_core.specs import EncoderSpec

from .configs import tower_kind
from .towers import build_visual, load_tower_checkpoint

__all__ = ["OpenClipImageNeuron", "build"]


# classes
class OpenClipImageNeuron(SuperNeuron):
    """An open_clip image tower: raw video -> (B, T*P, D) frame tokens."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        arch: str,
        tokens_per_frame: str | int = "all",
        image_size: int | None = None,
        project: bool = True,
        checkpoint: str | None = None,
        trainable: Trainable = "none",
        mean: Any = None,
        std: Any = None,
        prompt_depth: str = "shallow",
        prompt_from: int = 0,
    ) -> None:
        super().__init__(spec, trainable=trainable)
        self.tokens_per_frame = check_tokens_per_frame(tokens_per_frame, name=spec.name)
        self.deep = check_prompt_depth(prompt_depth, name=spec.name, prompting=spec.prompting)
        visual, cfg = build_visual(arch, image_size=image_size, name=spec.name)
        if checkpoint:
            load_tower_checkpoint(visual, str(checkpoint), tower="image", name=spec.name)
        # open_clip's tower (VisionTransformer, ModifiedResNet or TimmModel): attributes per kind
        self.visual: Any = visual
        self.arch = arch
        self.kind = tower_kind(cfg, "image")
        size = cfg["vision_cfg"].get("image_size", 224)
        self.image_size = int(size if isinstance(size, int) else size[0])
        self.mean = tuple(mean) if mean is not None else spec.preprocess.mean
        self.std = tuple(std) if std is not None else spec.preprocess.std
        self.project = bool(project)
        self._slot: PromptSlot | None = None
        self._prompter: Any = None
        self._film: Any = None
        getattr(self, f"_setup_{self.kind}")()
        self.init_prompt_from(prompt_from)
        if self.kind == "vit" and self.deep:  # one prompt set per block from the boundary on
            assert self._slot is not None  # _setup_vit set it
            self._slot = replace(self._slot, depth=self._slot.depth - prompt_from)
        self.apply_trainable(self.visual)
        self.train()

    # ---- per-kind setup ---------------------------------------------------------------------
    def _setup_vit(self) -> None:
        v = self.visual
        if v.attn_pool is not None and v.attn_pool_contrastive is not None:
            raise ConfigError(
                f"{self.name}: parallel/cascade attentional pooling towers are not supported"
            )
        depth = len(v.transformer.resblocks) if self.deep else 1
        self._slot = PromptSlot(kind="tokens", dim=v.transformer.width, depth=depth)
        if self.project and v.proj is not None:
            self.width = int(v.proj.shape[1])
        else:
            self.width = int(v.output_dim if v.attn_pool is not None else v.transformer.width)

    def _setup_resnet(self) -> None:
        from sen_core.neuron.prompting.timm_models import FilmHooks

        v = self.visual
        # ModifiedResNet has no timm feature_info; declare its four stages so FilmHooks can hook them
        chs = [blocks[-1].conv3.out_channels for blocks in (v.layer1, v.layer2, v.layer3, v.layer4)]
        v.feature_info = [{"module": f"layer{i + 1}", "num_chs": c} for i, c in enumerate(chs)]
        self._film = FilmHooks(v)
        self._slot = PromptSlot(kind="film", channels=self._film.channels)
        pool = v.attnpool
        self.width = int(pool.c_proj.out_features if self.project else pool.c_proj.in_features)

    def _setup_timm(self) -> None:
        from sen_core.neuron.prompting.timm_models import FilmHooks, TokenPrompter

        trunk = self.visual.trunk
        if self.spec.prompting == "tokens":
            self._prompter = TokenPrompter(trunk)
            depth = self._prompter.depth if self.deep else 1
            self._slot = PromptSlot(kind="tokens", dim=self._prompter.dim, depth=depth)
        elif self.spec.prompting == "film":
            self._film = FilmHooks(trunk)
            self._slot = PromptSlot(kind="film", channels=self._film.channels)
        self._token_head = self._timm_token_head() if self.project else None
        if self._token_head is None:
            self.width = int(trunk.num_features)
        elif isinstance(self._token_head, nn.Linear):
            self.width = int(self._token_head.out_features)
        else:
            mlp: Any = self._token_head  # timm Mlp head: its fc2 is the last layer
            self.width = int(mlp.fc2.out_features)

    def _timm_token_head(self) -> nn.Module | None:
        """The projection to the joint space, applied per token (None when there is none)."""
        head, trunk = self.visual.head, self.visual.trunk
        if hasattr(head, "pool"):  # an attention pool has no per-token form
            return None
        for attr in ("proj", "mlp"):  # timm_proj='linear' / 'mlp': open_clip's own head
            if hasattr(head, attr):
                return getattr(head, attr)
        # timm_proj=None: the trunk's classifier was sized to embed_dim and is the projection
        clf = trunk.get_classifier() if hasattr(trunk, "get_classifier") else None
        return clf if isinstance(clf, nn.Linear) else None

    # ---- contract ---------------------------------------------------------------------------
    def prompt_slot(self) -> PromptSlot | None:
        return self._slot

    def prompt_boundaries(self) -> tuple[int, ...]:
        """ViT towers split before any block; the other kinds take prompts from the start."""
        if self.kind == "vit":
            return tuple(range(len(self.visual.transformer.resblocks)))
        return (0,)

    @property
    def splits(self) -> bool:
        return self.kind == "vit"

    def encode_prefix(self, inputs: Tensor) -> Boundary:
        """ViT towers: the tokens entering block ``prompt_from`` (B, T, 1 + P, W) + prompt-free
        Tokens; other towers run whole."""
        if not self.splits:
            return super().encode_prefix(inputs)
        b, t = check_preprocessed_frames(inputs, name=self.name)
        x = inputs.flatten(0, 1).to(next(self.visual.parameters()).dtype)
        h = self.visual._embeds(x)  # (N, 1 + P, W)
        for blk in self.visual.transformer.resblocks[: self.prompt_from]:
            h = self._block(blk, h)
        feats, special, grid = self._vit_from(h, None)
        out = frame_tokens(feats, b, t, special=special, grid=grid, mode=self.tokens_per_frame)
        return Boundary(output=out, hidden=h.reshape(b, t, *h.shape[1:]))

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        if boundary.hidden is None:
            return super().encode_suffix(boundary, prompts)
        b, t = boundary.hidden.shape[:2]
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        feats, special, grid = self._vit_from(boundary.hidden.flatten(0, 1), per_frame(prompts, t))
        return frame_tokens(feats, b, t, special=special, grid=grid, mode=self.tokens_per_frame)

    def preprocess(self, raw: Any) -> Tensor:
        dev = next(self.visual.parameters()).device
        return video_to_frames(
            raw, size=self.image_size, mean=self.mean, std=self.std, device=dev, name=self.name
        )

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = check_preprocessed_frames(inputs, name=self.name)
        prompts = shallow_if_single(self.check_prompts(prompts, b))
        x = inputs.flatten(0, 1).to(next(self.visual.parameters()).dtype)
        feats, special, grid = getattr(self, f"_forward_{self.kind}")(x, per_frame(prompts, t))
        return frame_tokens(feats, b, t, special=special, grid=grid, mode=self.tokens_per_frame)

    # ---- per-kind forward: (N, 3, S, S) [+ prompts] -> (N, S', D), special tokens, grid --------
    def _block(self, blk: nn.Module, x: Tensor) -> Tensor:
        batch_first = getattr(self.visual.transformer, "batch_first", True)
        return blk(x) if batch_first else blk(x.transpose(0, 1)).transpose(0, 1)

    def _forward_vit(self, x: Tensor, prompts: Tensor | None):
        v = self.visual
        x = v._embeds(x)  # (N, 1 + P, W): class token + patches, position-embedded, ln_pre'd
        for blk in v.transformer.resblocks[: self.prompt_from]:
            x = self._block(blk, x)
        return self._vit_from(x, prompts)

    def _vit_from(self, x: Tensor, prompts: Tensor | None):
        """Tokens entering block ``prompt_from`` [+ prompts] -> the tower's output tokens."""
        v = self.visual
        deep = prompts is not None and prompts.ndim == 4
        m = 0 if prompts is None else prompts.shape[-2]
        if prompts is not None:
            x = insert_tokens(x, prompts[:, 0] if deep else prompts, 1)
        start = self.prompt_from
        for i, blk in enumerate(v.transformer.resblocks[start:], start):
            if deep and prompts is not None and i > start:  # VPT-deep: fresh prompts per layer
                x = torch.cat([x[:, :1], prompts[:, i - start].to(x.dtype), x[:, 1 + m :]], dim=1)
            x = self._block(blk, x)
        x = remove_tokens(x, 1, m)
        if v.attn_pool is None:
            y, grid = (
                v.ln_post(x),
                tuple(v.grid_size),
            )  # LayerNorm is per token: class token = pooled
        else:
            y, grid = v.ln_post(v.attn_pool(x)), None  # CoCa: queries; the first is the pooled one
        if self.project and v.proj is not None:
            y = y @ v.proj
        return y, 1, grid

    def _forward_resnet(self, x: Tensor, prompts: Tensor | None):
        v = self.visual
        with self._film.applied(prompts):
            f = v.layer4(v.layer3(v.layer2(v.layer1(v.stem(x)))))  # (N, C, h, w)
        h, w = f.shape[-2:]
        seq = f.flatten(2).transpose(1, 2)  # (N, h*w, C)
        if self.project:
            pool = v.attnpool
            pooled = pool(f)  # (N, E): open_clip's image embedding
            # dense tokens: each position through the pool's value and output projections
            dense = pool.c_proj(pool.v_proj(seq + pool.positional_embedding[1:].to(seq.dtype)))
            y = torch.cat([pooled.unsqueeze(1), dense], dim=1)
        else:
            y = torch.cat([seq.mean(1, keepdim=True), seq], dim=1)
        return y, 1, (int(h), int(w))

    def _forward_timm(self, x: Tensor, prompts: Tensor | None):
        trunk = self.visual.trunk
        if self._prompter is not None and prompts is not None:
            f = self._prompter.forward(x, prompts)
        elif self._film is not None:
            with self._film.applied(prompts):
                f = trunk.forward_features(x)
        else:
            f = trunk.forward_features(x)
        if f.ndim == 4:  # CNN feature map -> grid tokens
            if getattr(trunk, "output_fmt", "NCHW") == "NHWC":
                f = f.permute(0, 3, 1, 2)
            grid: tuple[int, int] | None = (int(f.shape[-2]), int(f.shape[-1]))
            f, special = f.flatten(2).transpose(1, 2), 0
        else:
            special = int(getattr(trunk, "num_prefix_tokens", 0))
            grid = self._timm_grid(x, f.shape[1] - special)
        if self._token_head is not None:
            f = self._token_head(f)
        return f, special, grid

    def _timm_grid(self, x: Tensor, patches: int) -> tuple[int, int] | None:
        """The (h, w) patch grid of a token trunk, or None when the tokens are not a grid."""
        pe: Any = getattr(self.visual.trunk, "patch_embed", None)
        candidates = []
        if hasattr(pe, "dynamic_feat_size"):
            candidates.append(tuple(pe.dynamic_feat_size(tuple(x.shape[-2:]))))
        if getattr(pe, "grid_size", None) is not None:
            candidates.append(tuple(pe.grid_size))
        side = math.isqrt(patches)
        candidates.append((side, side))  # frames are square, so a square count is a square grid
        for g in candidates:
            if len(g) == 2 and int(g[0]) * int(g[1]) == patches:
                return int(g[0]), int(g[1])
        return None


def build(spec: EncoderSpec, **params: Any) -> OpenClipImageNeuron:
    """Factory of ``open_clip/<arch>/image`` (params: see docs/neurons-open_clip.md)."""
    check_params(spec, params)
    if "arch" not in params:
        from .family import split

        params["arch"] = split(spec.name)[0]
    return OpenClipImageNeuron(spec, **params)
