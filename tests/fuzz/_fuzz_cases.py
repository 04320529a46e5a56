"""Shared by the suite's fuzz test and benchmarks/fuzz_cli.py: a tiny run config and its mutations.

A case is a config text plus overrides; ``run_case`` sends it through one CLI command in-process
and returns what went wrong (a traceback, an exit code other than 0/2, a hang, a partial run dir).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "name": "fz",
    "model": {
        "neurons": [
            {
                "name": "timm/vit_tiny_patch16_224",
                "key": "vit",
                "input": "frames",
                "params": {
                    "image_size": 32,
                    "tokens_per_frame": "cls",
                    "model_kwargs": {"img_size": 32, "depth": 1, "embed_dim": 32, "num_heads": 2},
                },
            }
        ],
        "anchor": "vit",
        "depth": 1,
        "width": 32,
        "attn_heads": 2,
        "token_budget": 8,
        "prompt_tokens": 2,
        "heads": [
            {"name": "sen/classify-linear@1", "key": "classify", "params": {"num_classes": 12}}
        ],
    },
    "data": {"name": "sen/shapes@1", "params": {"num_samples": 8, "frames": 2, "image_size": 32}},
    "train": {
        "steps": 1,
        "batch_size": 4,
        "warmup_steps": 1,
        "checkpoint_every": 1,
        "log_every": 1,
        "eval_batches": 1,
        "device": "cpu",
    },
}

KEYS = [
    "name",
    "model.width",
    "model.depth",
    "model.attn_heads",
    "model.token_budget",
    "model.prompt_tokens",
    "model.anchor",
    "model.heads",
    "model.heads.0.weight",
    "model.heads.0.params.num_classes",
    "model.neurons.0.params.image_size",
    "model.neurons.0.params.tokens_per_frame",
    "model.neurons.0.input",
    "data.params.frames",
    "data.params.num_samples",
    "data.params.image_size",
    "train.lr",
    "train.weight_decay",
    "train.steps",
    "train.seed",
    "train.warmup_steps",
    "train.batch_size",
    "train.device",
    "train.grad_clip",
    "_meta_",
    "_base_",
    "model._delete_",
]

VALUE_TEXTS = [
    "0", "-1", "1", "2", "true", "'no'", "null", ".inf", "-.inf", ".nan", "1e999", "1e20",
    "1000000000", "-9223372036854775808", "99999999999999999999999", "abc", "../escaped",
    "[]", "{}", "[1, 2]", "{a: 1}", "cuda", "cuda:99", "mps", "&a [*a]", "[" * 200, "'\\xff'",
    "{a: 1, a: 2}", "3.5", "''",
]  # fmt: skip


def config_text(mutation: dict[str, Any] | None = None) -> str:
    return yaml.safe_dump(mutation if mutation is not None else BASE, sort_keys=False)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def hang(*_: Any) -> None:
        raise TimeoutError(f"no answer in {seconds} s")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_case(command: str, workdir: Path, text: bytes, overrides: list[str]) -> str | None:
    """Run ``sen <command> run.yaml <overrides>`` in ``workdir``; None when the outcome is clean."""
    from click.testing import CliRunner

    from sen_core.cli import cli

    (workdir / "run.yaml").write_bytes(text)
    args = {"show": ["config", "show"], "build": ["build"], "train": ["train"]}[command]
    args = [*args, "run.yaml", *overrides]
    if command == "train":
        args.append("--no-progress")
    try:
        with time_limit(120):
            res = CliRunner().invoke(cli, args)
    except TimeoutError as exc:
        return f"hang: {exc}"
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        return f"traceback: {type(res.exception).__name__}: {res.exception}"
    if res.exit_code not in (0, 2) or "Traceback" in res.output:
        return f"exit {res.exit_code}: {res.output[-300:]}"
    if command != "train":
        if (workdir / "runs").exists():
            return "show/build wrote a runs/ directory"
        return None
    return partial_run_dirs(workdir / "runs", res.exit_code)


def partial_run_dirs(runs: Path, exit_code: int) -> str | None:
    """A run dir after a failure must say failed (or diverged) with a reason, or not exist."""
    if not runs.is_dir():
        return None
    for d in runs.iterdir():
        info = d / "run.json"
        if not info.is_file():
            return f"partial run dir {d.name}: no run.json"
        status = json.loads(info.read_text()).get("status")
        if exit_code == 2 and status not in ("failed", "diverged", "stopped"):
            return f"partial run dir {d.name}: status {status!r} after exit 2"
        if exit_code == 0 and status != "finished":
            return f"run dir {d.name}: status {status!r} after exit 0"
    return None
