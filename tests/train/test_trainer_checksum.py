"""trainer.json carries its own checksum (trainer.sha256): any changed byte is refused on load."""

from __future__ import annotations

import json

import pytest

from sen_core.errors import CheckpointError
from sen_core.train.checkpoint import load_checkpoint, read_trainer_state


def test_valid_json_edit_is_refused(run_train, fk):
    """An edit that keeps trainer.json valid and schema-correct (the fuzz's one corrupt load)."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    ckpt = run_dir / "checkpoints" / "step_000002"
    state = json.loads((ckpt / "trainer.json").read_text())
    state["micro_batches"] += 1
    (ckpt / "trainer.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    with pytest.raises(
        CheckpointError,
        match=r"step_000002/trainer.json is corrupt: its sha256 does not match trainer.sha256",
    ):
        load_checkpoint(ckpt, model=fk.FakeNet())


def test_every_flipped_byte_is_refused(run_train):
    """A byte flipped anywhere in trainer.json or trainer.sha256 is a CheckpointError."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    ckpt = run_dir / "checkpoints" / "step_000002"
    read_trainer_state(ckpt)
    for name in ("trainer.json", "trainer.sha256"):
        path = ckpt / name
        pristine = path.read_bytes()
        for i in range(0, len(pristine), max(1, len(pristine) // 150)):
            data = bytearray(pristine)
            data[i] ^= 0x01
            path.write_bytes(bytes(data))
            with pytest.raises(CheckpointError):
                read_trainer_state(ckpt)
        path.write_bytes(pristine)


def test_missing_checksum_file(run_train):
    """Deleting trainer.sha256 does not switch the check off."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    ckpt = run_dir / "checkpoints" / "step_000002"
    (ckpt / "trainer.sha256").unlink()
    with pytest.raises(CheckpointError, match=r"is incomplete: trainer.sha256 is missing"):
        read_trainer_state(ckpt)
