"""``sen/shapes@1``: procedurally rendered moving-shape videos with ground truth for every head.

Each sample is drawn from its own RNG seeded by (seed, split, index), so any index is reproducible
on its own and splits differ. Rendered with numpy; yields samples in the batch schema of
docs/datasets.md (label, caption, QA, moments + saliency, point tracks).
"""

from __future__ import annotations

import zlib
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator
from torch.utils.data import Dataset

from sen_core.data import collate_samples
from sen_core.specs import DatasetSpec

from ._params import parse_params

Shape = Literal["circle", "square", "triangle"]
SHAPES: tuple[Shape, ...] = ("circle", "square", "triangle")
MOTIONS = ("left", "right", "up", "down", "static")
# image axes: x to the right, y downwards
_DIRECTION = {
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up": (0.0, -1.0),
    "down": (0.0, 1.0),
    "static": (0.0, 0.0),
}
PALETTE = {
    "red": (230, 40, 40),
    "green": (40, 200, 60),
    "blue": (50, 90, 240),
    "yellow": (240, 220, 40),
    "magenta": (220, 60, 220),
    "cyan": (40, 210, 220),
    "orange": (250, 140, 30),
    "white": (245, 245, 245),
}
_COLOURS = tuple(PALETTE)
# Radius of the disc inside each shape (relative to its size r) where track points are placed.
_INNER = {"circle": 1.0, "square": 0.85, "triangle": 0.5}


class ShapesParams(BaseModel):
    """Parameters of ``sen/shapes@1`` (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_samples: int = Field(default=512, ge=1, description="samples per split")
    frames: int = Field(default=8, ge=2, description="T, frames per clip (motion needs at least 2)")
    image_size: int = Field(default=64, ge=16, description="frames are image_size x image_size")
    num_shapes: int = Field(default=2, ge=1, le=6, description="the target plus static distractors")
    num_points: int = Field(default=4, ge=1, description="Q, tracked points per clip")
    fps: float = Field(default=8.0, gt=0, description="nominal frame rate of the clips")
    seed: int = 0
    shapes: tuple[Shape, ...] = SHAPES
    motions: tuple[Literal["left", "right", "up", "down", "static"], ...] = (
        "left",
        "right",
        "up",
        "down",
    )
    antialias: bool = Field(default=False, description="3x3 supersampling of shape edges")
    noise: float = Field(default=0.0, ge=0, description="std of Gaussian pixel noise (0-255 scale)")

    @field_validator("shapes", "motions")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v or len(set(v)) != len(v):
            raise ValueError("must be a non-empty list without repeats")
        return v


def class_name(shape: str, motion: str) -> str:
    """Human-readable class name, usable as a zero-shot prompt: 'a circle moving left'."""
    return f"a {shape} standing still" if motion == "static" else f"a {shape} moving {motion}"


def _split_id(split: str) -> int:
    return zlib.crc32(split.encode("utf-8"))  # stable across processes (unlike hash())


def _coverage(
    shape: str, cx: np.ndarray, cy: np.ndarray, r: float, size: int, offsets: np.ndarray
) -> np.ndarray:
    """Fraction of each pixel covered by the shape: (T, H, W) float32; ``offsets`` are sub-pixel samples."""
    t = len(cx)
    cov = np.zeros((t, size, size), np.float32)
    base = np.arange(size, dtype=np.float32)
    for ox, oy in offsets:
        dx = (base + ox)[None, None, :] - cx[:, None, None]  # (T, 1, W)
        dy = (base + oy)[None, :, None] - cy[:, None, None]  # (T, H, 1)
        if shape == "circle":
            m = dx * dx + dy * dy <= r * r
        elif shape == "square":
            a = _INNER["square"] * r
            m = (np.abs(dx) <= a) & (np.abs(dy) <= a)
        else:  # upward triangle, centroid at (cx, cy), circumradius r
            s3 = np.sqrt(3.0)
            m = (dy <= r / 2) & (s3 * dx - dy <= r) & (-s3 * dx - dy <= r)
        cov += m
    return cov / len(offsets)


class ShapesDataset(Dataset):
    """Moving-shape clips. Classes are shape x motion; see docs/datasets.md for the ground truth."""

    def __init__(self, params: ShapesParams, split: str = "train") -> None:
        self.params = params
        self.split = split
        self.fps = float(params.fps)
        self.classes = [(s, m) for s in params.shapes for m in params.motions]
        self.class_names = [class_name(s, m) for s, m in self.classes]

    def __len__(self) -> int:
        return self.params.num_samples

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(
                f"sen/shapes@1 ({self.split}) has {n} samples; index {index} is out of range"
            )
        s = self.render(index % n)
        return {
            "video": torch.from_numpy(s["video"]),
            "label": torch.tensor(s["label"], dtype=torch.int64),
            "caption": s["caption"],
            "question": s["question"],
            "answer": s["answer"],
            "query": s["query"],
            "moments": torch.from_numpy(s["moments"]),
            "saliency": torch.from_numpy(s["saliency"]),
            "tracks": torch.from_numpy(s["tracks"]),
            "visible": torch.from_numpy(s["visible"]),
            "query_points": torch.from_numpy(s["query_points"]),
            "fps": self.fps,
        }

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack samples into a batch (adds ``class_names``)."""
        return collate_samples(samples, class_names=self.class_names)

    # ---- rendering -----------------------------------------------------------------------------
    def render(self, index: int) -> dict[str, Any]:
        """Sample ``index`` as numpy arrays plus its hidden scene description (``scene``)."""
        p = self.params
        T, S = p.frames, p.image_size
        rng = np.random.default_rng([p.seed, _split_id(self.split), index])

        label = int(rng.integers(len(self.classes)))
        shape, motion = self.classes[label]
        colour, event_colour = rng.choice(len(_COLOURS), size=2, replace=False)
        colour, event_colour = _COLOURS[colour], _COLOURS[event_colour]

        # Target: its mid-clip position is drawn from the same central square for every motion,
        # so where the shape is in one frame says little about where it is going.
        r = max(2.0, float(rng.uniform(0.10, 0.16)) * S)
        mid = rng.uniform(0.3, 0.7, size=2) * S
        travel = 0.0 if motion == "static" else float(rng.uniform(0.3, 0.6)) * S
        step = np.asarray(_DIRECTION[motion]) * travel / (T - 1)
        ts = np.arange(T) - (T - 1) / 2
        centres = [mid[None, :] + ts[:, None] * step[None, :]]  # (T, 2) xy per shape
        kinds, radii, colours = [shape], [r], [colour]
        others = [k for k in SHAPES if k != shape]  # distractors never share the target's shape
        for _ in range(p.num_shapes - 1):
            rd = max(2.0, float(rng.uniform(0.10, 0.16)) * S)
            kinds.append(others[int(rng.integers(len(others)))])
            radii.append(rd)
            colours.append(_COLOURS[int(rng.integers(len(_COLOURS)))])
            centres.append(np.repeat(rng.uniform(rd, S - rd, size=(1, 2)), T, axis=0))
        order = list(rng.permutation(p.num_shapes))  # draw order: later shapes are on top

        # Event: the target turns event_colour during frames [e0, e1).
        length = int(rng.integers(max(1, T // 4), max(1, T // 2) + 1))
        e0 = int(rng.integers(0, T - length + 1))
        e1 = e0 + length

        bg = rng.integers(0, 48, size=3)
        video = np.empty((T, S, S, 3), np.float32)
        video[:] = bg
        owner = np.full((T, S, S), -1, np.int64)  # topmost shape id per pixel (pixel centres)
        offsets = ((np.arange(3) + 0.5) / 3) if p.antialias else np.array([0.5])
        grid = np.array([(ox, oy) for oy in offsets for ox in offsets], np.float32)
        for sid in order:
            c = centres[sid]
            cov = _coverage(kinds[sid], c[:, 0], c[:, 1], radii[sid], S, grid)
            hard = (
                cov
                if not p.antialias
                else _coverage(
                    kinds[sid], c[:, 0], c[:, 1], radii[sid], S, np.array([(0.5, 0.5)], np.float32)
                )
            )
            owner[hard > 0.5] = sid
            rgb = np.tile(np.asarray(PALETTE[colours[sid]], np.float32), (T, 1))
            if sid == 0:
                rgb[e0:e1] = PALETTE[event_colour]
            a = cov[..., None]
            video = video * (1 - a) + rgb[:, None, None, :] * a
        if p.noise > 0:
            # its own stream, so that noise on/off leaves the scene and ground truth unchanged
            noise_rng = np.random.default_rng([p.seed, _split_id(self.split), index, 1])
            video += noise_rng.normal(0.0, p.noise, size=video.shape).astype(np.float32)
        video = np.clip(np.rint(video), 0, 255).astype(np.uint8)

        tracks, visible, qpts = self._tracks(rng, centres, kinds, radii, owner, order)
        saliency = np.zeros(T, np.float32)
        saliency[e0:e1] = 1.0
        moments = np.array([[e0 / T, e1 / T]], np.float32)

        question, answer = self._qa(rng, shape, motion, event_colour)
        caption = (
            f"{_a(colour)} {colour} {shape} {_phrase(motion)} and briefly turns {event_colour}"
        )
        if p.num_shapes > 1:
            caption += f", near {_a(colours[1])} {colours[1]} {kinds[1]}"
        return {
            "video": video,
            "label": label,
            "caption": caption,
            "question": question,
            "answer": answer,
            "query": f"the {shape} turns {event_colour}",
            "moments": moments,
            "saliency": saliency,
            "tracks": tracks,
            "visible": visible,
            "query_points": qpts,
            "scene": {
                "shape": shape,
                "motion": motion,
                "colour": colour,
                "event_colour": event_colour,
                "event_frames": (e0, e1),
                "centres": np.stack(centres),
                "radii": radii,
                "kinds": kinds,
                "order": order,
                "background": bg,
            },
        }

    def _tracks(
        self,
        rng: np.random.Generator,
        centres: list[np.ndarray],
        kinds: list[Shape],
        radii: list[float],
        owner: np.ndarray,
        order: list[int],
    ) -> tuple[np.ndarray, ...]:
        """Q rigidly attached points: tracks (Q, T, 2) xy px, visible (Q, T), query points (Q, 3)."""
        p = self.params
        T, S, Q = p.frames, p.image_size, p.num_points
        tracks = np.zeros((Q, T, 2), np.float32)
        visible = np.zeros((Q, T), bool)
        qpts = np.zeros((Q, 3), np.float32)
        for q in range(Q):
            for attempt in range(64):
                # Half the points sit on the target, the rest on distractors (when there are any).
                if (
                    attempt == 63
                ):  # fallback that is always visible somewhere: the topmost shape's centre
                    sid, off = order[-1], np.zeros(2)
                else:
                    sid = (
                        0
                        if (q < (Q + 1) // 2 or len(kinds) == 1)
                        else int(rng.integers(1, len(kinds)))
                    )
                    rho = 0.5 * _INNER[kinds[sid]] * radii[sid] * np.sqrt(rng.uniform())
                    phi = rng.uniform(0, 2 * np.pi)
                    off = np.array([rho * np.cos(phi), rho * np.sin(phi)])
                xy = centres[sid] + off[None, :]  # (T, 2)
                inside = (xy[:, 0] >= 0) & (xy[:, 0] < S) & (xy[:, 1] >= 0) & (xy[:, 1] < S)
                xi = np.clip(np.floor(xy[:, 0]).astype(int), 0, S - 1)
                yi = np.clip(np.floor(xy[:, 1]).astype(int), 0, S - 1)
                vis = inside & (owner[np.arange(T), yi, xi] == sid)
                if vis.any():
                    break
            tracks[q], visible[q] = xy, vis
            t = int(rng.choice(np.flatnonzero(vis)))
            qpts[q] = (t, xy[t, 0], xy[t, 1])
        return tracks, visible, qpts

    @staticmethod
    def _qa(
        rng: np.random.Generator, shape: str, motion: str, event_colour: str
    ) -> tuple[str, str]:
        kind = int(rng.integers(3))
        if kind == 0:
            return f"which way does the {shape} move?", "still" if motion == "static" else motion
        if kind == 1:
            return "which shape changes colour?", shape
        return f"what colour does the {shape} turn?", event_colour


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _phrase(motion: str) -> str:
    return "stays still" if motion == "static" else f"moves {motion}"


def shapes_dataset(spec: DatasetSpec, split: str = "train", **params: Any) -> ShapesDataset:
    """Factory of ``sen/shapes@1``."""
    return ShapesDataset(parse_params(spec, params, ShapesParams), split=split)
