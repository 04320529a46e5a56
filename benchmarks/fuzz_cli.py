"""Fuzz the CLI beyond the suite: several hundred seeded cases through show, build and train.

Usage: ``nice -n 10 .venv/bin/python benchmarks/fuzz_cli.py [N] [SEED]`` (default 400 cases, seed 11).
Prints the counts the hardening issue asks for: tracebacks, hangs, partial run dirs, corrupt loads
(a damaged checkpoint that loads), each of which must be 0.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))
from _fuzz_cases import KEYS, VALUE_TEXTS, config_text, run_case


def _case(rng: random.Random) -> tuple[str, bytes, list[str]]:
    command = rng.choices(["show", "build", "train"], weights=[6, 3, 1])[0]
    text = config_text().encode()
    if rng.random() < 0.3:  # splice random bytes into the file
        at = rng.randrange(len(text) + 1)
        text = (
            text[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))) + text[at:]
        )
    ovr = [f"{rng.choice(KEYS)}={rng.choice(VALUE_TEXTS)}" for _ in range(rng.randrange(0, 4))]
    return command, text, ovr


def _corrupt_loads(rng: random.Random, work: Path, n: int) -> int:
    """Flip bytes in checkpoint files of one trained run; count the loads that succeed anyway."""
    import torch

    from sen_core.config import load_run_config
    from sen_core.errors import SenError
    from sen_core.network import build_network
    from sen_core.train import train
    from sen_core.train.checkpoint import load_checkpoint

    (work / "run.yaml").write_text(config_text())
    cfg = load_run_config(str(work / "run.yaml"))
    train(cfg, work / "runs" / "ck", progress=False)
    ckpt = work / "runs" / "ck" / "checkpoints" / "step_000001"
    pristine = {p.name: p.read_bytes() for p in ckpt.iterdir()}
    loaded = 0
    for _ in range(n):
        name = rng.choice(sorted(pristine))
        data = bytearray(pristine[name])
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        for k, v in pristine.items():
            (ckpt / k).write_bytes(bytes(data) if k == name else v)
        if bytes(data) == pristine[name]:
            continue
        net = build_network(cfg.model)
        try:
            load_checkpoint(ckpt, model=net, restore_rng_state=False)
            loaded += 1
        except SenError:
            pass
        del net
        torch.set_num_threads(1)
    return loaded


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 11)
    counts = {"cases": 0, "tracebacks": 0, "hangs": 0, "partial run dirs": 0, "other": 0}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        import os

        os.chdir(work)
        for _ in range(n):
            command, text, ovr = _case(rng)
            shutil.rmtree(work / "runs", ignore_errors=True)
            problem = run_case(command, work, text, ovr)
            counts["cases"] += 1
            if problem is None:
                continue
            key = problem.split(":")[0]
            key = {"traceback": "tracebacks", "hang": "hangs"}.get(key, key)
            key = "partial run dirs" if "run dir" in problem else key
            counts[key if key in counts else "other"] += 1
            print(f"{command} {ovr}: {problem[:200]}", file=sys.stderr)
        shutil.rmtree(work / "runs", ignore_errors=True)
        counts["corrupt loads"] = _corrupt_loads(rng, work, 100)
        os.chdir("/")
    for k, v in counts.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
