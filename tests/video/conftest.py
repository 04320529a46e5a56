"""Fixtures for video decoding and `sen encode`: real clips, broken files, a tiny fake neuron catalogue."""

from __future__ import annotations

import sys
import types
import wave
from pathlib import Path

import pytest
import torch
from _shared import write_faststart_cut
from torch import nn

from sen_core.catalogue._plugins import PluginSource, load_catalogue
from sen_core.data.video import example_clip
from sen_core.hookspecs import hookimpl
from sen_core.neuron import Layout, SuperNeuron, Tokens, resize_frames, to_frames
from sen_core.specs import EncoderSpec, Preprocess, TokenLayout, Trainable

TINY = "test/tiny-frames@1"
TINY_TEXT = "test/tiny-text@1"
TINY_VIDEO = "test/tiny-video@1"


class TinyFrameNeuron(SuperNeuron):
    """A seeded 8x8-patch linear encoder: (B, T, H, W, 3) -> T x (1 CLS + 2x2 patches) tokens of width 8."""

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        image_size: int = 16,
        width: int = 8,
        checkpoint: str | None = None,
        with_mask: bool = False,
        trainable: Trainable = "none",
    ) -> None:
        super().__init__(spec, trainable=trainable)
        self.with_mask = with_mask
        torch.manual_seed(0)
        self.image_size, self.width = image_size, width
        self.proj = nn.Conv2d(3, width, kernel_size=8, stride=8)
        if checkpoint is not None:
            from safetensors.torch import load_file

            self.load_state_dict(load_file(checkpoint))

    def preprocess(self, raw):
        video = to_frames(raw, name=self.name)
        b, t = video.shape[:2]
        frames = resize_frames(video.flatten(0, 1), self.image_size, None, None)
        return frames.reshape(b, t, *frames.shape[1:])

    def encode(self, inputs, prompts=None):
        b, t = inputs.shape[:2]
        g = self.proj(inputs.flatten(0, 1)).flatten(2).transpose(1, 2)  # (B*T, P, D)
        x = torch.cat([g.mean(1, keepdim=True), g], dim=1)
        side = self.image_size // 8
        layout = Layout(
            kind="frames",
            frames=t,
            tokens_per_frame=x.shape[1],
            grid=(side, side),
            special_tokens=1,
        )
        mask = None
        if (
            self.with_mask
        ):  # every frame's last patch is padding: checks that masks are joined frame-major
            mask = torch.ones(b, t, x.shape[1], dtype=torch.bool)
            mask[..., -1] = False
            mask = mask.reshape(b, -1)
        return Tokens(x.reshape(b, -1, self.width), layout, mask)


def build_tiny(spec: EncoderSpec, **params) -> TinyFrameNeuron:
    return TinyFrameNeuron(spec, **params)


_factories = types.ModuleType("sen_test_video_factories")
_factories.__dict__["build_tiny"] = build_tiny  # a module made at run time


_TINY_PARAMS = {"image_size": "int", "width": "int", "with_mask": "bool"}


@hookimpl
def _sen_encoders(register):
    register(
        EncoderSpec(
            name=TINY,
            summary="tiny test frame encoder",
            factory="sen_test_video_factories:build_tiny",
            modality="image",
            width=8,
            layout=TokenLayout(kind="frames", tokens_per_frame=5),
            preprocess=Preprocess(image_size=16),
            param_types=_TINY_PARAMS,
        )
    )
    register(
        EncoderSpec(
            name=TINY_VIDEO,
            summary="tiny test clip encoder",
            factory="sen_test_video_factories:build_tiny",
            modality="video",
            width=8,
            layout=TokenLayout(kind="frames", tokens_per_frame=5),
            param_types=_TINY_PARAMS,
        )
    )
    register(
        EncoderSpec(
            name=TINY_TEXT,
            summary="a text encoder",
            factory="sen_test_video_factories:build_tiny",
            modality="text",
            width=8,
            layout=TokenLayout(kind="sequence"),
        )
    )


_plugin = types.ModuleType("sen_test_video_plugin")
_plugin.__dict__["sen_encoders"] = _sen_encoders


@pytest.fixture
def tiny_catalogue(monkeypatch):
    """The process catalogue replaced by one holding only the tiny test neurons."""
    import sen_core.catalogue

    monkeypatch.setitem(sys.modules, "sen_test_video_factories", _factories)
    cat = load_catalogue(sources=[PluginSource(name="video-tests", load=lambda: _plugin)])
    monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)
    return cat


@pytest.fixture(scope="session")
def bikes() -> Path:
    return example_clip("bikes")


@pytest.fixture(scope="session")
def carphone() -> Path:
    return example_clip("carphone")


@pytest.fixture
def broken_files(tmp_path: Path, carphone: Path) -> dict[str, Path]:
    """A text file, an audio-only WAV, a truncated mp4 and an empty file."""
    text = tmp_path / "notes.txt"
    text.write_text("not a video\n" * 10)
    audio = tmp_path / "tone.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(carphone.read_bytes()[:300_000])
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    return {"text": text, "audio": audio, "truncated": truncated, "empty": empty}


# ---- a long synthetic clip whose frames spell their own index -----------------------------------
BITS = 12


def _frame_index(frame) -> int:
    return sum(1 << b for b in range(BITS) if frame[:, b * 8 + 4].mean() > 128)


@pytest.fixture
def frame_index():
    """``frame_index(frame)``: the index an indexed-video frame spells (one 8-px stripe per bit)."""
    return _frame_index


def write_indexed_video(
    path: Path, *, frames: int, fps: int = 25, gop: int = 50, codec: str = "libx264"
) -> Path:
    """Encode a 96x32 clip whose frame i shows i in binary (white stripe = 1 bit), keyframe every ``gop``."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = 96, 32, "yuv420p"
        stream.codec_context.gop_size = gop
        for i in range(frames):
            img = np.zeros((32, 96, 3), np.uint8)
            for b in range(BITS):
                if (i >> b) & 1:
                    img[:, b * 8 : (b + 1) * 8] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def indexed_mp4(tmp_path_factory) -> Path:
    """30 s of H.264 at 25 fps (750 frames), a keyframe every 2 s."""
    return write_indexed_video(tmp_path_factory.mktemp("indexed") / "long.mp4", frames=750)


@pytest.fixture(scope="session")
def indexed_webm(tmp_path_factory) -> Path:
    """A VP9 WebM (no frame count in its metadata), 200 frames at 25 fps."""
    return write_indexed_video(
        tmp_path_factory.mktemp("indexed") / "clip.webm", frames=200, codec="libvpx-vp9"
    )


@pytest.fixture(scope="session")
def half_bikes(tmp_path_factory, bikes: Path) -> Path:
    """bikes.mp4 as faststart, cut at 50 %: the index declares 250 frames, 114 decode."""
    return write_faststart_cut(bikes, tmp_path_factory.mktemp("cut") / "half_bikes.mp4")
