"""Checkpoint files: safetensors + JSON only, verified on load; corruption raises CheckpointError."""

import json
import struct

import pytest
from safetensors import safe_open
from torch import nn

from sen_core.errors import CheckpointError
from sen_core.train.checkpoint import load_model_weights, read_trainer_state
from sen_core.train.rundir import latest_checkpoint as latest


def _is_safetensors(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]) is not None


def test_checkpoint_layout_and_formats(run_train, fk):
    """model/optimizer are safetensors, trainer.json is JSON; frozen weights are not stored."""
    _, _, run_dir = run_train("r", steps=3, checkpoint_every=3)
    ckpt = run_dir / "checkpoints" / "step_000003"
    assert sorted(p.name for p in ckpt.iterdir()) == [
        "model.safetensors",
        "optimizer.safetensors",
        "trainer.json",
        "trainer.sha256",
    ]
    assert (run_dir / "checkpoints" / "latest").read_text() == "step_000003\n"
    for f in ("model.safetensors", "optimizer.safetensors"):
        assert _is_safetensors(ckpt / f)
    with safe_open(str(ckpt / "model.safetensors"), "pt") as fh:
        assert sorted(fh.keys()) == [
            "norm.bias",
            "norm.weight",
            "out.bias",
            "out.weight",
            "proj.bias",
            "proj.weight",
            "seen",
        ]
        meta = fh.metadata()
    assert meta["step"] == "3" and json.loads(meta["sen_spec"])["anchor"] == "minilm_l6"
    with safe_open(str(ckpt / "optimizer.safetensors"), "pt") as fh:
        assert "proj.weight::exp_avg_sq" in list(fh.keys())
    state = json.loads((ckpt / "trainer.json").read_text())
    assert (state["step"], state["micro_batches"], state["world_size"]) == (3, 3, 1)
    assert sorted(state["rng"]) == ["numpy", "python", "torch"]


def test_keep_checkpoints_prunes_old_ones(run_train):
    """keep_checkpoints=2 leaves the two newest; no temporary directories remain."""
    _, _, run_dir = run_train("r", steps=5, checkpoint_every=1, keep_checkpoints=2)
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "latest",
        "step_000004",
        "step_000005",
    ]


def _truncate(ckpt):
    p = ckpt / "model.safetensors"
    p.write_bytes(p.read_bytes()[:40])


def _garbage_json(ckpt):
    (ckpt / "trainer.json").write_text('{"format": 1, "step": ')


def _missing_optimizer(ckpt):
    (ckpt / "optimizer.safetensors").unlink()


def _valid_sum_bad_content(ckpt):
    # a checksum that matches but a file that is not safetensors: the reader itself must refuse it
    import hashlib

    (ckpt / "model.safetensors").write_bytes(b"\x00" * 16)
    state = json.loads((ckpt / "trainer.json").read_text())
    state["files"]["model.safetensors"] = hashlib.sha256(b"\x00" * 16).hexdigest()
    (ckpt / "trainer.json").write_text(json.dumps(state))
    digest = hashlib.sha256((ckpt / "trainer.json").read_bytes()).hexdigest()
    (ckpt / "trainer.sha256").write_text(digest + "\n")


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (
            _truncate,
            r"checkpoint file .*step_000002/model.safetensors is corrupt \(its sha256 does not match trainer.json\)",
        ),
        (_garbage_json, r"checkpoint file .*step_000002/trainer.json is corrupt: "),
        (
            _missing_optimizer,
            r"checkpoint .*step_000002 is incomplete: optimizer.safetensors is missing",
        ),
        (_valid_sum_bad_content, r"cannot read checkpoint file .*step_000002/model.safetensors: "),
    ],
)
def test_corrupt_checkpoint_on_resume(run_train, corrupt, message):
    """Resuming from a damaged latest checkpoint raises CheckpointError naming the file."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    corrupt(run_dir / "checkpoints" / "step_000002")
    with pytest.raises(CheckpointError, match=message):
        run_train("r", steps=2, checkpoint_every=2, resume=True)


def test_latest_pointer_to_missing_directory(run_train):
    """checkpoints/latest naming a deleted directory is reported."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    (run_dir / "checkpoints" / "latest").write_text("step_000009\n")
    with pytest.raises(
        CheckpointError, match=r"latest names 'step_000009', but .*step_000009 does not exist"
    ):
        latest(run_dir / "checkpoints")


def test_weights_must_match_the_model(run_train, fk):
    """A checkpoint for another architecture: missing tensors or a shape mismatch are named."""
    _, _, run_dir = run_train("r", steps=2, checkpoint_every=2)
    path = run_dir / "checkpoints" / "step_000002" / "model.safetensors"
    net = fk.FakeNet()
    net.extra = nn.Linear(2, 2)
    with pytest.raises(
        CheckpointError,
        match=r"does not match the model: missing 2 tensors \(e.g. \['extra.bias', 'extra.weight'\]\)",
    ):
        load_model_weights(path, net)
    net = fk.FakeNet()
    net.out = nn.Linear(4, 3)
    with pytest.raises(
        CheckpointError, match=r"tensor 'out.bias' has shape \(1,\), the model expects \(3,\)"
    ):
        load_model_weights(path, net)
    read_trainer_state(path.parent)  # the checkpoint itself is fine


def test_zero_steps_saves_initial_weights(run_train, fk):
    """steps=0 writes a step-0 checkpoint of the initial weights and still evaluates."""
    from safetensors.torch import load_file

    result, _, run_dir = run_train("r", steps=0)
    assert result["step"] == 0 and "reg/mse" in result
    saved = load_file(run_dir / "checkpoints" / "step_000000" / "model.safetensors")
    assert all(saved[k].equal(v) for k, v in fk.trainable(fk.FakeNet()).items())
