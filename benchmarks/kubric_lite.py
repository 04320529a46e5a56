"""Generation speed of sen/kubric-lite@1: clips per second on one core, by frame size.

Run: .venv/bin/python benchmarks/kubric_lite.py [--clips 200] [--sizes 64,128,224] [--frames 8]
     [--points 64]
Each size renders ``--clips`` clips of the train split (samples in the batch schema, torch tensors
included) after one warm-up clip that builds the texture bank; prints clips/s and ms per clip.
Goal: >= 200 clips/s at 8 frames of 64 px.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: no BLAS / torch threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--sizes", default="64,128,224")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--points", type=int, default=64)
    args = ap.parse_args()

    import torch

    from sen_core.catalogue import get_catalogue, import_ref

    torch.set_num_threads(1)
    spec = get_catalogue().get("sen/kubric-lite@1", kind="dataset")
    factory = import_ref(spec.factory)
    t0 = time.perf_counter()
    factory(spec, **{**spec.params, "num_samples": 1})[0]
    print(f"texture bank + first clip: {time.perf_counter() - t0:.2f} s")
    print(f"{'size':>5} {'frames':>6} {'points':>6} {'clips/s':>8} {'ms/clip':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        params = {
            **spec.params,
            "num_samples": args.clips,
            "frames": args.frames,
            "image_size": size,
            "num_points": args.points,
        }
        ds = factory(spec, split="train", **params)
        t0 = time.perf_counter()
        for i in range(args.clips):
            ds[i]
        dt = time.perf_counter() - t0
        print(
            f"{size:>5} {args.frames:>6} {args.points:>6} {args.clips / dt:>8.1f} {1000 * dt / args.clips:>8.2f}"
        )


if __name__ == "__main__":
    main()
