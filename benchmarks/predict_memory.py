"""Peak memory of `sen predict` as the split grows: 250 vs 1,000 QVHighlights clips.

Run: .venv/bin/python benchmarks/predict_memory.py [--clips 250 1000] [--workers 0] [--keep DIR]

Writes a QVHighlights fixture in its official layout to a temporary folder (one tiny real mp4 per
vid, 10 s at 2 fps, 32 x 32; ``highlight_s{N}_release.jsonl`` with N queries each), trains a tiny
run on it (open_clip's random tiny towers, 1 step), then runs ``sen predict RUN --split sN`` in a
fresh process per N and reports that process's peak RSS (``ru_maxrss``), its wall time and the
predictions file's size. Streaming means the peak stays flat while the file grows with N.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "model.neurons.0.name=open_clip/sen-tiny-vit/image",
    "model.neurons.0.params.image_size=64",
    "model.neurons.1.name=open_clip/sen-tiny-vit/text",
    "model.width=32",
    "model.attn_heads=2",
    "model.token_budget=8",
    "model.prompt_tokens=2",
    "data.params.frames=8",
    "data.params.image_size=32",
    "train.steps=1",
    "train.warmup_steps=1",
    "train.batch_size=8",
    "train.eval_every=null",
    "train.device=cpu",
]


def write_clip(path: Path, seconds: int = 10, fps: int = 2, seed: int = 0) -> None:
    import av

    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=fps)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(seconds * fps):
            img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def write_fixture(root: Path, sizes: list[int]) -> None:
    """One mp4 per vid (copies of one clip) and a jsonl per size; train/val hold 8 queries."""
    (root / "videos").mkdir(parents=True)
    clip = root / "clip.mp4"
    write_clip(clip)
    n = max(sizes)
    lines = []
    for i in range(n):
        vid = f"vid{i:05d}_0.0_10.0"
        shutil.copyfile(clip, root / "videos" / f"{vid}.mp4")
        lines.append(
            {
                "qid": i,
                "query": f"query number {i}",
                "duration": 10,
                "vid": vid,
                "relevant_windows": [[2, 6]],
                "relevant_clip_ids": [1, 2],
                "saliency_scores": [[3, 2, 4], [4, 4, 4]],
            }
        )
    for split, k in [("train", 8), ("val", 8)] + [(f"s{m}", m) for m in sizes]:
        with (root / f"highlight_{split}_release.jsonl").open("w") as f:
            for line in lines[:k]:
                f.write(json.dumps(line) + "\n")


MEASURE = """
import resource, sys, time
from sen_core.train.predict import predict
t0 = time.perf_counter()
info = predict(sys.argv[1], split=sys.argv[2], out=sys.argv[3], num_workers=int(sys.argv[4]))
wall = time.perf_counter() - t0
print(info["samples"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, wall)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="write the fixture here and keep it")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sen_predict_memory_")) if args.keep is None else args.keep
    try:
        t0 = time.perf_counter()
        write_fixture(tmp / "qvh", args.clips)
        print(
            f"fixture: {max(args.clips)} vids in {time.perf_counter() - t0:.1f} s ({tmp / 'qvh'})"
        )
        sys.path.insert(0, str(ROOT))
        from sen_core.config import load_run_config
        from sen_core.train import engine, train

        setattr(engine, "plot_curves", lambda *a, **k: None)  # noqa: B010  (not measured)
        config = load_run_config("sen/qvhighlights@1", [f"data.params.root={tmp / 'qvh'}", *TINY])
        train(config, tmp / "run", progress=False)
        print(f"{'clips':>6} {'peak RSS MiB':>13} {'wall s':>8} {'clips/s':>8} {'file KiB':>9}")
        for n in args.clips:
            out = tmp / f"s{n}.jsonl"
            cmd = [sys.executable, "-c", MEASURE, str(tmp / "run"), f"s{n}", str(out)]
            res = subprocess.run(
                [*cmd, str(args.workers)], check=True, capture_output=True, text=True, cwd=ROOT
            )
            samples, rss_kib, wall = res.stdout.split()[-3:]
            assert int(samples) == n, res.stdout
            print(
                f"{n:>6} {int(rss_kib) / 1024:>13.1f} {float(wall):>8.1f} "
                f"{n / float(wall):>8.1f} {out.stat().st_size / 1024:>9.1f}"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
