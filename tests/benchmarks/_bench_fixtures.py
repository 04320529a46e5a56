"""Tiny copies of public benchmarks in their exact official layouts (seeded, written by tests).

The golden values in the tests were computed once by running the reference scorers (tapnet's
``compute_tapvid_metrics``, moment_detr's ``standalone_eval/eval.py``) on these same files.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np


def davis_entries(seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Two videos of different lengths and point counts (TAP-Vid-DAVIS entry layout)."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, (t, n) in {"bear": (9, 3), "cows": (6, 2)}.items():
        out[name] = {
            "video": rng.integers(0, 256, (t, 24, 32, 3), dtype=np.uint8),
            "points": rng.random((n, t, 2)).astype(np.float32),
            "occluded": rng.random((n, t)) < 0.25,
        }
    return out


def write_davis(root: Path, seed: int = 0) -> Path:
    """``root/tapvid_davis.pkl``: dict video name -> {video, points, occluded}."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "tapvid_davis.pkl"
    path.write_bytes(pickle.dumps(davis_entries(seed)))
    return path


def write_rgb_stacking(root: Path, seed: int = 0) -> Path:
    """``root/tapvid_rgb_stacking.pkl``: the same entries as a list."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "tapvid_rgb_stacking.pkl"
    path.write_bytes(pickle.dumps(list(davis_entries(seed).values())))
    return path


def write_kinetics(root: Path, seed: int = 0) -> Path:
    """``root/0000_of_0001.pkl``: a list of entries whose ``video`` is JPEG bytes per frame."""
    import io

    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for e in davis_entries(seed).values():
        jpegs = []
        for frame in e["video"]:
            buf = io.BytesIO()
            Image.fromarray(frame).save(buf, format="JPEG", quality=95)
            jpegs.append(buf.getvalue())
        entries.append(
            {
                "video": np.array(jpegs),
                "points": e["points"].astype(np.float64),
                "occluded": e["occluded"],
            }
        )
    path = root / "0000_of_0001.pkl"
    path.write_bytes(pickle.dumps(entries))
    return path


def write_kubric(root: Path, split: str = "train", seed: int = 0) -> list[Path]:
    """``root/{split}/NAME.npz`` per video: video in [-1, 1], query_points t,y,x px, target_points px."""
    rng = np.random.default_rng(seed)
    (root / split).mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (t, n) in {"movi0": (8, 3), "movi1": (6, 4)}.items():
        tp = rng.random((n, t, 2)) * 32
        occ = rng.random((n, t)) < 0.2
        qt = rng.integers(0, t, n)
        occ[np.arange(n), qt] = False
        qp = np.stack([qt, tp[np.arange(n), qt, 1], tp[np.arange(n), qt, 0]], -1)
        video = rng.random((t, 32, 32, 3)).astype(np.float32) * 2 - 1
        p = root / split / f"{name}.npz"
        np.savez(p, video=video, query_points=qp, target_points=tp, occluded=occ)
        paths.append(p)
    return paths


QVH_LINES: list[dict[str, Any]] = [
    {
        "qid": 8737,
        "query": "A family is playing basketball together on a green court outside.",
        "duration": 30,
        "vid": "bP5KfdFJzC4_660.0_690.0",
        "relevant_windows": [[0, 8], [14, 26]],
        "relevant_clip_ids": [0, 1, 2, 3, 7, 8, 9, 10, 11, 12],
        "saliency_scores": [
            [4, 1, 1],
            [4, 1, 1],
            [4, 2, 1],
            [4, 3, 2],
            [1, 3, 2],
            [4, 3, 3],
            [2, 4, 3],
            [1, 1, 0],
            [3, 3, 3],
            [2, 2, 4],
        ],
    },
    {
        "qid": 7803,
        "query": "Man in gray top walks from outside to inside.",
        "duration": 50,
        "vid": "RoripwjYFp8_360.0_410.0",
        "relevant_windows": [[12, 46]],
        "relevant_clip_ids": list(range(6, 23)),
        "saliency_scores": [[(i * 7 + a * 3) % 5 for a in range(3)] for i in range(17)],
    },
    {
        "qid": 12,
        "query": "A dog runs across the yard.",
        "duration": 20,
        "vid": "dogdogdog01_0.0_20.0",
        "relevant_windows": [[2, 6]],
        "relevant_clip_ids": [1, 2],
        "saliency_scores": [[3, 2, 4], [4, 4, 4]],
    },
]


def write_qvhighlights(root: Path, fps: int = 2) -> Path:
    """``root/highlight_{train,val,test}_release.jsonl`` + ``root/videos/{vid}.mp4`` (tiny mp4s)."""
    import av

    root.mkdir(parents=True, exist_ok=True)
    (root / "videos").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for line in QVH_LINES:
        path = root / "videos" / f"{line['vid']}.mp4"
        with av.open(str(path), "w") as c:
            s = c.add_stream("mpeg4", rate=fps)
            s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
            for _ in range(int(line["duration"] * fps)):
                img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
    for split in ("train", "val"):
        with (root / f"highlight_{split}_release.jsonl").open("w") as f:
            for line in QVH_LINES:
                f.write(json.dumps(line) + "\n")
    with (root / "highlight_test_release.jsonl").open("w") as f:
        for line in QVH_LINES:
            f.write(json.dumps({k: line[k] for k in ("qid", "query", "duration", "vid")}) + "\n")
    return root


# The presets' pretrained towers swapped for open_clip's tiny random ones (a 2 x 2 grid a frame):
# model building and the forward passes then take milliseconds; dataset, protocol, head and the
# train -> eval -> predict path stay the preset's.
TINY_MODEL = [
    "model.neurons.0.name=open_clip/sen-tiny-vit/image",
    "model.neurons.0.params.image_size=64",
    "model.width=32",
    "model.attn_heads=2",
    "model.token_budget=8",
    "model.prompt_tokens=2",
    "train.warmup_steps=1",
    "train.device=cpu",
]
TINY_TEXT = ["model.neurons.1.name=open_clip/sen-tiny-vit/text"]
