"""Hostile inputs of issue 21 (shared by test_hostile.py and benchmarks/hostile_fuzz.py).

``refusal(args, workdir)`` runs ``sen ARGS`` in-process and returns what is wrong with the outcome
(None when it is a clean refusal): exit 2, exactly one line of output starting ``error:``, no
traceback, and nothing new under ``workdir`` but the input files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

# config overrides that must be refused at validation (exit 2 before anything is built or written)
CONFIG_CASES: list[tuple[list[str], str]] = [
    (["data.params.num_samples=4294967296"], "data.params.num_samples"),
    (["model.neurons.0.params.image_size=100000"], "model.neurons.0.params.image_size"),
    (["data.params.frames=100000"], "data.params.frames"),
    (["train.eval_split=vall"], "did you mean 'val'"),
    (["train.eval_split=''"], "train.eval_split"),
    (["train.eval_split=" + "x" * 10_000], "train.eval_split"),
    (["model.prompt_tokens=true"], "model.prompt_tokens"),
    (["model.distill_weight=true"], "model.distill_weight"),
    (["model.heads.0.weight=true"], "model.heads.0.weight"),
    (["model.attn_heads=2.0"], "model.attn_heads"),
    (["model.depth=-0.0"], "model.depth"),
    (["model.token_budget=1e3"], "model.token_budget"),
    (["model.heads.0.weight=1e38"], "model.heads.0.weight"),
    (["model.distill_weight=1e38"], "model.distill_weight"),
    (["model.width=1000000000"], "model.width"),
    (["model.neurons.0.trainable=true"], "model.neurons.0.trainable"),
    # each size within its bound, the batch of frames beyond any machine's memory
    (["train.batch_size=65536", "data.params.frames=4096", "data.params.image_size=8192"],
     "one batch of 65536 x 4096 frames"),
]  # fmt: skip

SWEEP_CASES: list[tuple[dict[str, Any], str]] = [
    ({"random": {"samples": 1_000_000_000, "axes": {"train.lr": [0.1, 0.2]}}}, "random.samples"),
    ({"axes": {f"train.x{i}": [1, 2] for i in range(40)}}, "trials"),
    ({"random": {"samples": 100, "axes": {"train.lr": [0.1]}}, "seeds": list(range(101))},
     "10,100 trials"),
    ({"seeds": [True]}, "seeds.0"),
    ({"seeds": [1.0]}, "seeds.0"),
    ({"seeds": [-1]}, "seeds.0"),
    ({"random": {"samples": 2, "seed": -5, "axes": {"train.lr": [0.1]}}}, "random.seed"),
    ({"random": {"samples": True, "axes": {"train.lr": [0.1]}}}, "random.samples"),
    ({"random": {"samples": 2, "axes": {"train.lr": {"low": 1, "high": 2, "integer": "yes"}}}},
     "integer"),
    ({"random": {"samples": 2, "axes": {"train.lr": {"low": 1, "high": float("inf")}}}}, "high"),
    ({"trial": "os:system"}, "trial"),
    ({"trial": "subprocess:call"}, "trial"),
    ({"trial": "nonexistent.module:fn"}, "trial"),
    ({"trial": "sen_core.sweep.trial:flatten_metrics"}, "trial"),
    ({"trial": "sen_core.sweep.trial:nothing"}, "trial"),
    ({"trial": "sen_core.sweep:trial:x"}, "trial"),
    ({"cache": "yes"}, "cache"),
]  # fmt: skip


def tree_digest(root: Path) -> str:
    """A digest of every path and file content under ``root`` (symlinks by their target)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_symlink():
            h.update(str(p.readlink()).encode())
        elif p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def invoke(args: list[str]) -> tuple[int, str, BaseException | None]:
    from click.testing import CliRunner

    from sen_core.cli import cli

    res = CliRunner().invoke(cli, args)
    exc = res.exception if not isinstance(res.exception, SystemExit) else None
    return res.exit_code, res.output, exc


def refusal(args: list[str], workdir: Path, expect: str = "") -> str | None:
    """What is wrong with ``sen ARGS`` as a refusal, or None when it is clean (see module doc)."""
    before = tree_digest(workdir)
    code, out, exc = invoke(args)
    if exc is not None:
        return f"traceback: {type(exc).__name__}: {exc}"
    lines = out.strip().splitlines()
    if code != 2:
        return f"exit {code}: {out[-300:]}"
    if len(lines) != 1 or not lines[0].startswith("error:") or "Traceback" in out:
        return f"not one error line: {out[-500:]}"
    if expect and expect not in lines[0]:
        return f"the line does not name {expect!r}: {lines[0][:300]}"
    if tree_digest(workdir) != before:
        return "files were written or changed"
    return None


def write_sweep(workdir: Path, extra: dict[str, Any], name: str = "sweep.yaml") -> Path:
    data = {"base": "run.yaml", "cache": False, **extra}
    path = workdir / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def forge_checkpoint(step_dir: Path, what: str) -> None:
    """Edit a checkpoint and recompute its checksums (so only the content checks can refuse it)."""
    import torch
    from safetensors.torch import load_file, save_file

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    tfile = step_dir / "trainer.json"
    state = json.loads(tfile.read_text())
    if what == "hash":
        state["config_hash"] = "0" * 16
    else:
        mfile = step_dir / "model.safetensors"
        weights = load_file(str(mfile))
        key = next(k for k, v in weights.items() if v.is_floating_point())
        w = weights[key].clone()
        w.view(-1)[0] = {"nan": float("nan"), "inf": float("inf"), "huge": 3e38}[what]
        weights[key] = w.to(torch.float32)
        save_file(weights, str(mfile), metadata={"format": "pt"})
        state["files"]["model.safetensors"] = sha(mfile)
    tfile.write_text(json.dumps(state))
    (step_dir / "trainer.sha256").write_text(sha(tfile) + "\n")
