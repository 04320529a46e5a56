"""sen eval / sen predict in a 2-process gloo job (the env:// rendezvous torchrun sets up): each rank
takes a contiguous part of the split; the merged metrics and the joined file equal one process's;
a failure on one rank stops both with the error and leaves no file.

The ranks are forked from the test process (torch and the plugins already imported), which makes
the job cost a second instead of a torchrun launch's two fresh interpreters (tests/train launches
torchrun itself).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import traceback
from pathlib import Path

import numpy as np
import pytest
from _bench_fixtures import TINY_MODEL, write_davis

from sen_core.config import load_run_config
from sen_core.errors import InputError
from sen_core.train import evaluate, train
from sen_core.train.predict import predict


def _rank(rank: int, port: int, run: Path, out: Path) -> None:
    import torch.distributed as dist

    env = {"RANK": rank, "LOCAL_RANK": rank, "WORLD_SIZE": 2, "MASTER_ADDR": "127.0.0.1"}
    os.environ.update({k: str(v) for k, v in {**env, "MASTER_PORT": port}.items()})
    try:
        # one group for both calls: they use it and leave it open
        dist.init_process_group("gloo", world_size=2, rank=rank)
        metrics = evaluate(run, split="test", batch_size=1, num_workers=1)
        info = predict(run, split="test", out=out / "p.npz", batch_size=1)
        failed = []
        if rank == 1:  # a bad video on rank 1 only: both ranks stop (no hang), no file written
            import sen_core.train.engine as engine_mod
            import sen_core.train.predict as predict_mod

            def broken(*a, **k):
                raise InputError("entry cows: broken video")

            setattr(predict_mod, "build_dataset", broken)  # noqa: B010
            setattr(engine_mod, "to_device", broken)  # noqa: B010
        for call in (
            lambda: evaluate(run, split="test", batch_size=1),
            lambda: predict(run, split="test", out=out / "q.npz", batch_size=1),
        ):
            try:
                call()
                failed.append("")
            except InputError as exc:
                failed.append(str(exc))
        record = {"metrics": metrics, "predict": info, "failed": failed}
        (out / f"rank{rank}.json").write_text(json.dumps(record))
        dist.destroy_process_group()
    except BaseException:
        (out / f"rank{rank}.err").write_text(traceback.format_exc())
        os._exit(1)
    os._exit(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_eval_and_predict_split_over_ranks(tmp_path):
    root = write_davis(tmp_path / "davis").parent
    over = [f"data.params.root={root}", *TINY_MODEL, "train.steps=1", "train.eval_every=null"]
    run = tmp_path / "run"
    train(load_run_config("sen/tapvid-davis@1", over), run, progress=False)
    single = evaluate(run, split="test", batch_size=1, num_workers=0)
    predict(run, split="test", out=tmp_path / "single.npz", batch_size=1)
    out = tmp_path / "out"
    out.mkdir()
    port, ctx = _free_port(), mp.get_context("fork")
    procs = [ctx.Process(target=_rank, args=(r, port, run, out)) for r in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        if p.is_alive():
            p.kill()
    errors = "".join(f.read_text() for f in out.glob("*.err"))
    assert [p.exitcode for p in procs] == [0, 0], errors
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    for r in ranks:  # every rank returns the whole split's metrics (bear on rank 0, cows on rank 1)
        assert r["metrics"].keys() == single.keys()
        for k, v in single.items():
            assert r["metrics"][k] == pytest.approx(v, abs=1e-6), k
        assert r["predict"]["samples"] == 2
    a, b = np.load(tmp_path / "single.npz"), np.load(out / "p.npz")
    assert a.files == b.files  # the same arrays, in the same order
    for k in a.files:
        if a[k].dtype.kind == "f":
            np.testing.assert_allclose(a[k], b[k], atol=1e-5)
        else:
            assert np.array_equal(a[k], b[k]), k
    assert ranks[0]["failed"] == [
        "evaluation: rank 1 failed: InputError: entry cows: broken video",
        "sen predict: rank 1 failed: InputError: entry cows: broken video",
    ]
    assert ranks[1]["failed"] == ["entry cows: broken video"] * 2
    assert sorted(p.name for p in out.iterdir()) == ["p.npz", "rank0.json", "rank1.json"]
