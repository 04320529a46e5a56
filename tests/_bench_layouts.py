"""Tiny copies of public benchmarks in their exact official file layouts, with real videos.

Each ``write_*`` returns the root a user would point SEN at. Videos are real (PyAV): clip i shows a
flat colour that depends on ``colour(i)``, so a classifier has something to learn.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

FRAMES, SIZE, FPS = 6, 32, 6


def write_clip(path: Path, seed: int = 0, *, frames: int = FRAMES) -> Path:
    """A tiny real clip (H.264 .mp4, VP9 .webm, MPEG-4 .avi by suffix): a flat colour per seed."""
    import av

    codec = {".webm": "libvpx-vp9", ".avi": "mpeg4"}.get(path.suffix, "libx264")
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, 3, dtype=np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = SIZE, SIZE, "yuv420p"
        for t in range(frames):
            img = np.empty((SIZE, SIZE, 3), np.uint8)
            img[:] = rgb
            img[: t + 1, :4] = 255  # a growing bar: frames differ
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


class Clips:
    """Writes each (suffix, seed) clip once and copies it: fixtures with many videos stay fast."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)

    def put(self, dst: Path, seed: int = 0) -> Path:
        src = self.cache / f"{seed}{dst.suffix}"
        if not src.exists():
            write_clip(src, seed)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return dst


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_msrvtt(
    root: Path, clips: Clips, *, n_train: int = 4, n_test: int = 4, captions: int = 20
) -> Path:
    """CLIP4Clip's msrvtt_data.zip + MSRVTT_Videos/: test videos video{1000+i}, train video{i}."""
    train = [f"video{i}" for i in range(n_train)]
    test = [f"video{1000 + i}" for i in range(n_test)]
    _csv(root / "MSRVTT_train.9k.csv", ["video_id"], [[v] for v in train])
    _csv(root / "MSRVTT_train.7k.csv", ["video_id"], [[v] for v in train[: max(1, n_train // 2)]])
    _csv(
        root / "MSRVTT_JSFUSION_test.csv",
        ["key", "vid_key", "video_id", "sentence"],
        [[f"ret{i}", f"msr{1000 + i}", v, f"test caption of {v}"] for i, v in enumerate(test)],
    )
    videos, sentences = [], []
    for n, v in enumerate(train + test):
        videos.append(
            {
                "category": n % 20,
                "url": f"https://www.youtube.com/watch?v=yt{n}",
                "video_id": v,
                "start time": 1.0,
                "end time": 4.0,
                "split": "train" if v in train else "test",
                "id": n,
            }
        )
        # sen_ids of one video are not contiguous in the real file: interleave them
        sentences += [
            {"caption": f"caption {c} of {v}", "video_id": v, "sen_id": c * (n_train + n_test) + n}
            for c in range(captions)
        ]
    sentences.reverse()  # the reader orders by sen_id, not by position
    (root / "MSRVTT_data.json").write_text(
        json.dumps({"info": {"year": "2016"}, "videos": videos, "sentences": sentences})
    )
    for n, v in enumerate(train + test):
        clips.put(root / "MSRVTT_Videos" / f"{v}.mp4", n)
    return root


K_LABELS = ("abseiling", "air drumming", "passing American football (in game)")


def write_kinetics(
    root: Path,
    clips: Clips,
    *,
    per_class: int = 2,
    label_dirs: bool = True,
    labels: tuple[str, ...] = K_LABELS,
) -> Path:
    """The DeepMind kinetics400.tar.gz csvs + mmaction2's videos_{train,val}/{label}/ clips."""
    for split, csv_name, vdir in (
        ("train", "train.csv", "videos_train"),
        ("validate", "validate.csv", "videos_val"),
    ):
        rows = []
        for c, label in enumerate(labels):
            for j in range(per_class):
                yt = f"{split[:2]}{c}x{j}_-Ab"  # ids hold '-' and '_' as real ones do
                start = 10 * j + c
                rows.append([label, yt, start, start + 10, split])
                sub = label.replace(" ", "_") if label_dirs else ""
                clips.put(root / vdir / sub / f"{yt}_{start:06d}_{start + 10:06d}.mp4", c)
        _csv(root / csv_name, ["label", "youtube_id", "time_start", "time_end", "split"], rows)
    _csv(
        root / "test.csv",
        ["youtube_id", "time_start", "time_end", "split"],
        [["te0x0_-Ab", 0, 10, "test"]],
    )
    clips.put(root / "videos_test" / "te0x0_-Ab_000000_000010.mp4", 0)
    return root


SSV2_TEMPLATES = (
    "Pushing [something] from left to right",
    "Putting [something] on [something]",
    "Approaching [something] with your camera",
)


def write_ssv2(root: Path, clips: Clips, *, per_class: int = 2) -> Path:
    """The 20BN download: labels/*.json + 20bn-something-something-v2/{id}.webm."""
    labels_dir = root / "labels"
    labels_dir.mkdir(parents=True, exist_ok=True)
    # the labels json lists templates in its own order, not the class-index order
    index = {t.replace("[", "").replace("]", ""): str(i) for i, t in enumerate(SSV2_TEMPLATES)}
    (labels_dir / "something-something-v2-labels.json").write_text(
        json.dumps(dict(sorted(index.items())), indent=1)
    )
    n = 0
    for split in ("train", "validation"):
        items = []
        for c, t in enumerate(SSV2_TEMPLATES):
            for _ in range(per_class):
                n += 1
                filled = t.replace("[something]", "a cup", 1).replace("[something]", "a box")
                items.append(
                    {
                        "id": str(n),
                        "label": filled,
                        "template": t,
                        "placeholders": ["a cup", "a box"][: t.count("[")],
                    }
                )
                clips.put(root / "20bn-something-something-v2" / f"{n}.webm", c)
        (labels_dir / f"something-something-v2-{split}.json").write_text(json.dumps(items))
    (labels_dir / "something-something-v2-test.json").write_text(json.dumps([{"id": "999"}]))
    clips.put(root / "20bn-something-something-v2" / "999.webm", 0)
    return root


QA = [
    ("what is a man doing?", "play"),
    ("who is singing?", "woman"),
    ("what is the man riding?", "horse"),
    ("what does a woman slice?", "onion"),
]


def write_msvd_qa(root: Path, clips: Clips, *, videos: int = 4) -> Path:
    """The MSVD-QA release + YouTubeClips.tar: vid<N> -> '<ytid>_<start>_<end>.avi'."""
    names = {n: f"-yt{n}Ab_{n}_{n + 5}" for n in range(1, videos + 1)}
    (root / "youtube_mapping.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "youtube_mapping.txt").write_text("".join(f"{names[n]} vid{n}\n" for n in names))
    qid = 0
    for split in ("train", "val", "test"):
        items = []
        for n in names:
            q, a = QA[(n - 1) % len(QA)]
            items.append({"answer": a, "id": qid, "question": q, "video_id": n})
            qid += 1
        (root / f"{split}_qa.json").write_text(json.dumps(items))
    for n, name in names.items():
        clips.put(root / "YouTubeClips" / f"{name}.avi", n)
    return root


def write_msrvtt_qa(root: Path, clips: Clips, *, videos: int = 4) -> Path:
    """The MSRVTT-QA release: {split}_qa.json with category_id, videos video/video<N>.mp4."""
    root.mkdir(parents=True, exist_ok=True)
    qid = 0
    for s, split in enumerate(("train", "val", "test")):
        items = []
        for j in range(videos):
            q, a = QA[j % len(QA)]
            items.append(
                {
                    "answer": a,
                    "category_id": j % 20,
                    "id": qid,
                    "question": q,
                    "video_id": s * videos + j,
                }
            )
            qid += 1
            clips.put(root / "video" / f"video{s * videos + j}.mp4", j)
        (root / f"{split}_qa.json").write_text(json.dumps(items))
    return root
