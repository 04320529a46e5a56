"""Data-parallel training under torchrun (2 CPU processes, gloo): identical ranks, one writer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from sen_core.train.logging import read_metrics

WORKER = Path(__file__).parent / "_ddp_worker.py"


def test_torchrun_two_processes(tmp_path, run_train, fk):
    """Both ranks end with identical weights equal to one process with the doubled batch; rank 0 alone writes."""
    root, out = tmp_path / "runs", tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).parents[2]))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(WORKER),
            str(root),
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    w0, w1 = load_file(out / "rank0.safetensors"), load_file(out / "rank1.safetensors")
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    # DistributedSampler gives rank r the indices perm[r::2]; together one step sees the same 8 samples
    _, single, _ = run_train(
        "single",
        net=fk.FakeNet(linear=True),
        steps=4,
        batch_size=8,
        checkpoint_every=2,
        log_every=1,
    )
    for k, v in fk.trainable(single).items():
        if k != "seen":  # the sample counter is per process
            torch.testing.assert_close(w0[k], v, rtol=0, atol=1e-6)
    recs = read_metrics(root / "ok" / "metrics.jsonl")
    assert [(r["kind"], r["step"]) for r in recs] == [
        ("train", 1),
        ("train", 2),
        ("train", 3),
        ("train", 4),
        ("eval", 4),
    ]
    assert sorted(p.name for p in (root / "ok" / "checkpoints").iterdir()) == [
        "latest",
        "step_000002",
        "step_000004",
    ]
    assert json.loads((root / "ok" / "run.json").read_text())["world_size"] == 2
    r0, r1 = (json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["result"]["step"] == 4 and "reg/mse" in r0["result"]
    assert r1["result"] == {"step": 4}  # only rank 0 evaluates
    # NaN on rank 1 only: both ranks stop at step 2 (no hang), the caller's process group survives
    assert r0["diverged"] == r1["diverged"]
    assert r0["diverged"].startswith(
        "training diverged at step 2: loss is nan; stopped without saving, no checkpoint"
    )
    assert r0["dist_still_up"] and r1["dist_still_up"]
