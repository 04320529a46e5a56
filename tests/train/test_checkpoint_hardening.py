"""Issue-11 checkpoint cases: every damaged file is refused before a single tensor is copied."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from sen_core.errors import CheckpointError
from sen_core.train.checkpoint import load_checkpoint
from sen_core.train.optim import make_optimizer
from sen_core.train.rundir import latest_checkpoint
from sen_core.train.schedule import make_scheduler


def _trainer(ckpt: Path) -> dict[str, Any]:
    return json.loads((ckpt / "trainer.json").read_text())


def _put(ckpt: Path, state: dict[str, Any]) -> None:
    """Write trainer.json and fix its own checksum (only the content checks can catch it)."""
    (ckpt / "trainer.json").write_text(json.dumps(state))
    digest = hashlib.sha256((ckpt / "trainer.json").read_bytes()).hexdigest()
    (ckpt / "trainer.sha256").write_text(digest + "\n")


def _edit(fn: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def corrupt(ckpt: Path) -> None:
        state = _trainer(ckpt)
        fn(state)
        _put(ckpt, state)

    return corrupt


def _rewrite_optimizer(fn: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]):
    """Change optimizer.safetensors and fix its checksum (only the content check can catch it)."""

    def corrupt(ckpt: Path) -> None:
        path = ckpt / "optimizer.safetensors"
        save_file(fn(load_file(path)), str(path))
        state = _trainer(ckpt)
        state["files"]["optimizer.safetensors"] = hashlib.sha256(path.read_bytes()).hexdigest()
        _put(ckpt, state)

    return corrupt


def _flip_weights_without_checksum(ckpt: Path) -> None:
    state = _trainer(ckpt)
    del state["files"]["model.safetensors"]
    _put(ckpt, state)
    path = ckpt / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-4:] = b"\x7f\x7f\x7f\x7f"
    path.write_bytes(bytes(data))


def _trainer_is_dir(ckpt: Path) -> None:
    (ckpt / "trainer.json").unlink()
    (ckpt / "trainer.json").mkdir()


def _reverse_groups(s: dict[str, Any]) -> None:
    for g in s["optimizer"]["param_groups"]:
        g["params"].reverse()


def _wider(t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (torch.zeros(v.shape[0] + 1, *v.shape[1:]) if v.dim() else v) for k, v in t.items()}


CASES = [
    (_edit(lambda s: s.update(step="abc")), r"'step' must be a non-negative integer"),
    (_edit(lambda s: s.update(step=True)), r"'step' must be a non-negative integer"),
    (_edit(lambda s: s.pop("rng")), r"'rng' must be a map of generator states"),
    (_edit(lambda s: s["rng"].update(torch="AAAA")), r"'rng' must be saved generator states"),
    (_edit(lambda s: s.update(files=["model.safetensors"])), r"'files' must be a map of"),
    (_edit(lambda s: s["files"].pop("model.safetensors")), r"'files' must be a map of"),
    (_flip_weights_without_checksum, r"'files' must be a map of"),
    (_edit(lambda s: s.update(optimizer=[])), r"'optimizer.param_groups' must be a list"),
    (_edit(_reverse_groups), r"saved for other trainable parameters or another order"),
    (
        _edit(lambda s: s["optimizer"]["param_groups"][0].update(lr="fast")),
        r"param_groups.0.lr is 'fast', expected a value like",
    ),
    (
        _edit(lambda s: s["optimizer"]["param_groups"][0].update(amsgrad=1)),
        r"param_groups.0.amsgrad is 1",
    ),
    (_edit(lambda s: s["scheduler"].update(last_epoch="x")), r"scheduler state .*'last_epoch'"),
    (_rewrite_optimizer(_wider), r"has shape \(\d+, ?\d*\), the parameter has"),
    (_trainer_is_dir, r"cannot read .*trainer.json"),
    (_edit(lambda s: s.update(log_window={"loss": ["x"]})), r"'log_window' must be"),
]


@pytest.mark.parametrize("corrupt, message", CASES)
def test_refused_load_touches_nothing(run_train, fk, corrupt, message):
    """Each damaged checkpoint raises CheckpointError; model, optimizer and scheduler are unchanged."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    ckpt = run_dir / "checkpoints" / "step_000002"
    corrupt(ckpt)
    torch.manual_seed(7)
    net = fk.FakeNet()
    config = fk.make_config(steps=2)
    opt = make_optimizer(net, config.train)
    sched = make_scheduler(opt, warmup_steps=1, total_steps=2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt_before, sched_before = json.dumps(opt.state_dict(), default=str), sched.state_dict()
    rng_before = torch.get_rng_state()
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(ckpt, model=net, optimizer=opt, scheduler=sched)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert json.dumps(opt.state_dict(), default=str) == opt_before
    assert sched.state_dict() == sched_before and torch.equal(torch.get_rng_state(), rng_before)


def test_refused_resume_leaves_run_dir_untouched(run_train):
    """A resume refused on a bad checkpoint rewrites none of the run files."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    _edit(lambda s: s.update(step="abc"))(run_dir / "checkpoints" / "step_000002")
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    with pytest.raises(CheckpointError):
        run_train("r", steps=2, checkpoint_every=2, resume=True)
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files


def test_binary_latest_pointer(tmp_path: Path) -> None:
    """A binary or path-like `latest` is a CheckpointError, not a UnicodeDecodeError."""
    (tmp_path / "step_000001").mkdir()
    (tmp_path / "latest").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(CheckpointError, match=r"cannot read .*latest"):
        latest_checkpoint(tmp_path)
    (tmp_path / "latest").write_text("../../etc\n")
    with pytest.raises(CheckpointError, match="must name a step_NNNNNN directory"):
        latest_checkpoint(tmp_path)


def test_unreadable_file_is_checkpoint_error(run_train, monkeypatch):
    """An OS error (mode 000; simulated, since root reads anything) becomes a CheckpointError."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    ckpt = run_dir / "checkpoints" / "step_000002"
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "trainer.json":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(CheckpointError, match=r"cannot read .*trainer\.json: Permission denied"):
        load_checkpoint(ckpt, model=torch.nn.Linear(1, 1))
