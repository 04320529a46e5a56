"""``sen/kubric-lite@1``: the dataset (params, samples in the batch schema, TAP-Vid-Kubric fields)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator
from torch.utils.data import Dataset

from sen_core.data import collate_samples
from sen_core.specs import DatasetSpec

from .._params import parse_params
from .render import render, sample_tracks
from .scene import MOTIONS, SHAPES, sample_scene
from .text import class_name, ground_truth
from .textures import APPEARANCES, texture_bank

NAME = "sen/kubric-lite@1"


class KubricLiteParams(BaseModel):
    """Parameters of ``sen/kubric-lite@1`` (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_samples: int = Field(default=512, ge=1, description="samples per split")
    frames: int = Field(default=8, ge=2, description="T, frames per clip")
    image_size: int = Field(default=64, ge=16, description="frames are image_size x image_size")
    num_objects: int = Field(default=3, ge=1, le=8, description="the target plus distractors")
    num_points: int = Field(default=64, ge=1, description="Q, tracked points per clip")
    fps: float = Field(default=8.0, gt=0, description="nominal frame rate of the clips")
    seed: int = Field(default=0, description="data seed: changes every scene")
    shapes: tuple[str, ...] = SHAPES
    motions: tuple[str, ...] = ("left", "right", "up", "down")
    appearances: tuple[str, ...] = APPEARANCES
    camera_pan: float = Field(
        default=0.2, ge=0, le=1, description="camera pan over a clip (frames)"
    )
    camera_zoom: float = Field(default=0.25, ge=0, le=1, description="max |log zoom| change")

    @field_validator("shapes", "motions", "appearances")
    @classmethod
    def _known(cls, v: tuple[str, ...], info: Any) -> tuple[str, ...]:
        allowed = {"shapes": SHAPES, "motions": MOTIONS, "appearances": APPEARANCES}[
            info.field_name
        ]
        bad = [x for x in v if x not in allowed]
        if bad:
            raise ValueError(f"unknown {bad}; choose from {', '.join(allowed)}")
        if not v or len(set(v)) != len(v):
            raise ValueError("must be a non-empty list without repeats")
        return v


def _split_id(split: str) -> int:
    return zlib.crc32(split.encode("utf-8"))  # stable across processes (unlike hash())


class KubricLiteDataset(Dataset):
    """Textured objects over photo backgrounds with a moving camera; see docs/benchmarks/kubric-lite.md."""

    def __init__(self, params: KubricLiteParams, split: str = "train") -> None:
        self.params = params
        self.split = split
        self.fps = float(params.fps)
        self.classes = [(s, m) for s in params.shapes for m in params.motions]
        self.class_names = [class_name(s, m) for s, m in self.classes]

    def __len__(self) -> int:
        return self.params.num_samples

    def _check(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(
                f"{NAME} ({self.split}) has {n} samples; index {index} is out of range"
            )
        return index % n

    def __getitem__(self, index: int) -> dict[str, Any]:
        s = self.render(self._check(index))
        out: dict[str, Any] = {
            "video": torch.from_numpy(s["video"]),
            "label": torch.tensor(s["label"], dtype=torch.int64),
        }
        for key in ("caption", "question", "answer", "query"):
            out[key] = s[key]
        for key in ("moments", "saliency", "tracks", "visible", "query_points"):
            out[key] = torch.from_numpy(s[key])
        out["fps"] = self.fps
        return out

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack samples into a batch (adds ``class_names``)."""
        return collate_samples(samples, class_names=self.class_names)

    def render(self, index: int) -> dict[str, Any]:
        """Sample ``index`` as numpy arrays, plus ``scene`` (the Scene) and ``point_ids``."""
        p = self.params
        rng = np.random.default_rng([p.seed, _split_id(self.split), index])
        label = int(rng.integers(len(self.classes)))
        scene = sample_scene(
            rng,
            frames=p.frames,
            size=p.image_size,
            num_objects=p.num_objects,
            shapes=p.shapes,
            motions=p.motions,
            appearances=p.appearances,
            label=label,
            camera_pan=p.camera_pan,
            camera_zoom=p.camera_zoom,
            bank=texture_bank(),
        )
        rendered = render(scene)
        tracks, visible, qpts, ids = sample_tracks(scene, rendered.owner, rng, p.num_points)
        gt = ground_truth(scene, rendered, rng)
        return {
            "video": rendered.video,
            "label": label,
            **gt,
            "tracks": tracks,
            "visible": visible,
            "query_points": qpts,
            "point_ids": ids,
            "scene": scene,
            "rendered": rendered,
        }

    def tapvid(self, index: int) -> dict[str, np.ndarray]:
        """Clip ``index`` in the TAP-Vid-Kubric fields: ``video`` uint8 (T, H, W, 3),
        ``query_points`` (N, 3) as (t, y, x) px, ``target_points`` (N, T, 2) as (x, y) px,
        ``occluded`` bool (N, T)."""
        s = self.render(self._check(index))
        q = s["query_points"]
        return {
            "video": s["video"],
            "query_points": np.stack([q[:, 0], q[:, 2], q[:, 1]], axis=1).astype(np.float32),
            "target_points": s["tracks"],
            "occluded": ~s["visible"],
        }

    def write(
        self, out_dir: str | Path, num: int, progress: Callable[[int, int], None] | None = None
    ) -> Path:
        """Write clips 0..num-1 in the TAP-Vid-Kubric fields to ``out_dir/<split>`` (export.py)."""
        from .export import write_split

        return write_split(self, out_dir, num, self.params.model_dump(mode="json"), progress)


def kubric_lite_dataset(
    spec: DatasetSpec, split: str = "train", **params: Any
) -> KubricLiteDataset:
    """Factory of ``sen/kubric-lite@1``."""
    return KubricLiteDataset(parse_params(spec, params, KubricLiteParams), split=split)
