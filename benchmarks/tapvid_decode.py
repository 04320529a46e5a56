"""TAP-Vid reader decode speed against plain NumPy/PIL decoding of the same arrays.

Run: .venv/bin/python benchmarks/tapvid_decode.py [--videos 4] [--frames 50] [--repeat 3]

Writes a DAVIS pickle (uint8 frames 480 x 854, as the released tapvid_davis.pkl holds them) and a
Kinetics shard (the same frames as JPEG bytes) to a temporary folder. For each, times reading every
sample through the reader (``sen/tapvid-davis-data@1`` / ``sen/tapvid-kinetics-data@1``: every
frame resized to 256 x 256 without crop, points scaled, strided queries, tensors) against the
least a user's own loop does on the same arrays: PIL resize of each frame to 256 x 256 (after
``Image.open`` of the JPEG bytes for Kinetics) and ``np.stack``. The pickle is loaded once
before either is timed (the reader loads it when built). Reports frames/s of each and their
ratio (goal: reader >= 0.8 x plain), the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import io
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np


def make_entries(videos: int, frames: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (480, 854, 3), dtype=np.uint8)
    out = []
    for v in range(videos):
        # smooth-ish content (a shifted noise image) so JPEG sizes are realistic, not worst case
        video = np.stack([np.roll(base, 7 * t + v, axis=1) for t in range(frames)])
        out.append(
            {
                "video": video,
                "points": rng.random((20, frames, 2)).astype(np.float32),
                "occluded": rng.random((20, frames)) < 0.2,
            }
        )
    return out


def to_jpegs(video: np.ndarray) -> np.ndarray:
    from PIL import Image

    encoded = []
    for frame in video:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="JPEG", quality=90)
        encoded.append(buf.getvalue())
    return np.array(encoded, dtype=object)


def plain_arrays(entries: list[dict[str, Any]]) -> int:
    from PIL import Image

    n = 0
    for e in entries:
        frames = [
            np.asarray(Image.fromarray(f).resize((256, 256), Image.Resampling.BILINEAR))
            for f in e["video"]
        ]
        n += len(np.stack(frames))
    return n


def plain_jpegs(entries: list[dict[str, Any]]) -> int:
    from PIL import Image

    n = 0
    for e in entries:
        frames = [
            np.asarray(
                Image.open(io.BytesIO(b))
                .convert("RGB")
                .resize((256, 256), Image.Resampling.BILINEAR)
            )
            for b in e["video"]
        ]
        n += len(np.stack(frames))
    return n


def reader(name: str, root: Path) -> Callable[[], int]:
    from sen_core.catalogue import get_catalogue, import_ref

    spec = get_catalogue().get(name)
    ds = import_ref(spec.factory)(spec, split="test", **{**spec.params, "root": str(root)})

    def run() -> int:
        return sum(int(ds[i]["video"].shape[0]) for i in range(len(ds)))

    return run


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t0)
    return min(times), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sen_tapvid_decode_"))
    try:
        entries = make_entries(args.videos, args.frames)
        davis = {f"video{i}": e for i, e in enumerate(entries)}
        (tmp / "davis").mkdir()
        (tmp / "davis" / "tapvid_davis.pkl").write_bytes(pickle.dumps(davis))
        shard = [{**e, "video": to_jpegs(e["video"])} for e in entries]
        (tmp / "kinetics").mkdir()
        (tmp / "kinetics" / "0000_of_0001.pkl").write_bytes(pickle.dumps(shard))
        print(f"{'layout':<26} {'reader fr/s':>12} {'plain fr/s':>11} {'ratio':>6}")
        for label, name, root, plain, data in [
            ("DAVIS pickle (uint8)", "sen/tapvid-davis-data@1", "davis", plain_arrays, entries),
            ("Kinetics shard (JPEG)", "sen/tapvid-kinetics-data@1", "kinetics", plain_jpegs, shard),
        ]:
            run = reader(name, tmp / root)
            run()  # warm-up (imports, caches)
            t_reader, n_reader = best(run, args.repeat)
            t_plain, n_plain = best(partial(plain, data), args.repeat)
            assert n_reader == n_plain, (n_reader, n_plain)
            ratio = (n_reader / t_reader) / (n_plain / t_plain)
            print(
                f"{label:<26} {n_reader / t_reader:>12.1f} {n_plain / t_plain:>11.1f} "
                f"{ratio:>6.2f}  ({'met' if ratio >= 0.8 else 'NOT met'}: goal >= 0.8)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
