"""acme/tinyconv@1: a toy CNN super neuron with FiLM prompting, written against SEN's runtime contract."""

from __future__ import annotations

import itertools

from torch import Tensor, nn

from sen_core.neuron import Layout, PromptSlot, SuperNeuron, Tokens, video_to_frames


class TinyConv(SuperNeuron):
    """Three stride-2 conv stages; FiLM prompts scale and shift each stage's channels."""

    def __init__(
        self, spec, *, channels=(8, 16, 32), image_size=32, trainable="none", checkpoint=None
    ):
        super().__init__(spec, trainable=trainable)
        chans = [3, *channels]
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, 3, stride=2, padding=1), nn.GELU())
            for a, b in itertools.pairwise(chans)
        )
        self.channels = tuple(channels)
        self.image_size = image_size
        self.width = channels[-1]
        if checkpoint is not None:
            from sen_core.neuron import load_into, load_state_dict_file

            load_into(self.stages, load_state_dict_file(checkpoint), name=spec.name)
        self.apply_trainable(self.stages)

    def prompt_slot(self) -> PromptSlot:
        return PromptSlot(kind="film", channels=self.channels)

    def preprocess(self, raw) -> Tensor:
        p = (
            self.spec.preprocess
        )  # uint8 (B, T, H, W, 3) or float (B, T, 3, H, W) -> (B, T, 3, S, S)
        return video_to_frames(raw, size=self.image_size, mean=p.mean, std=p.std, name=self.name)

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = x.shape[:2]
        prompts = self.check_prompts(prompts, b)
        h = x.flatten(0, 1)  # (B*T, 3, S, S)
        offset = 0
        for stage, c in zip(self.stages, self.channels, strict=True):
            h = stage(h)
            if prompts is not None:
                film = prompts.repeat_interleave(t, dim=0)  # (B*T, 2*sum(C))
                scale, shift = film[:, offset : offset + c], film[:, offset + c : offset + 2 * c]
                h = h * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
                offset += 2 * c
        gh, gw = h.shape[-2:]
        tokens = h.flatten(2).transpose(1, 2).reshape(b, t * gh * gw, self.width)  # (B, T*h*w, D)
        return Tokens(
            tokens, Layout(kind="frames", frames=t, tokens_per_frame=gh * gw, grid=(gh, gw))
        )


def build(spec, **params) -> TinyConv:
    return TinyConv(spec, **params)


__all__ = ["TinyConv", "build"]
