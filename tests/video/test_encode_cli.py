"""`sen encode`: video -> neuron -> safetensors, with a tiny fake neuron and with the real timm family."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from sen_core import __version__
from sen_core.cli import cli
from sen_core.cli._neuron_cmds import parse_params

TINY = "test/tiny-frames@1"


def run(*args: str):
    return CliRunner().invoke(cli, ["encode", *map(str, args)])


def read(path):
    with safe_open(str(path), "pt") as f:
        names = f.keys()  # safe_open is not iterable itself
        return {k: f.get_tensor(k) for k in names}, f.metadata()


def test_encode_writes_tokens_and_metadata(tiny_catalogue, bikes, tmp_path):
    """4 frames of bikes -> tokens (4 x 5, 8) with the layout, frames, fps, timestamps and source."""
    out = tmp_path / "bikes.safetensors"
    res = run(bikes, "--neuron", TINY, "--out", out, "--frames", "4", "--quiet")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"wrote {out}: tokens (20, 8) = 4 frames x 5 tokens from {TINY}"
    tensors, meta = read(out)
    assert (
        list(tensors) == ["tokens"]
        and tensors["tokens"].shape == (20, 8)
        and tensors["tokens"].dtype == torch.float32
    )
    assert json.loads(meta["layout"]) == {
        "kind": "frames",
        "frames": 4,
        "tokens_per_frame": 5,
        "grid": [2, 2],
        "special_tokens": 1,
    }
    assert (
        meta["neuron"] == TINY
        and meta["frames"] == "4"
        and float(meta["fps"]) == pytest.approx(0.4)
    )
    assert json.loads(meta["timestamps"]) == [1.24, 3.72, 6.24, 8.72]
    assert meta["source"] == str(bikes.resolve()) and meta["sen_version"] == __version__
    assert json.loads(meta["frame_size"]) == [16, 38]  # decoded straight to the neuron's image size
    assert [p.name for p in tmp_path.iterdir()] == ["bikes.safetensors"]  # no temporary file left


def test_chunks_match_one_pass(tiny_catalogue, carphone, tmp_path):
    """Encoding in chunks of 3 frames gives the same tokens as one pass over the clip."""
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert (
        run(carphone, "-n", TINY, "-o", a, "--fps", "2", "--batch-frames", "3", "-q").exit_code == 0
    )
    assert (
        run(carphone, "-n", TINY, "-o", b, "--fps", "2", "--batch-frames", "64", "-q").exit_code
        == 0
    )
    ta, meta = read(a)
    tb, _ = read(b)
    assert meta["frames"] == "9" and ta["tokens"].shape == (45, 8)
    torch.testing.assert_close(ta["tokens"], tb["tokens"])


def test_params_and_checkpoint_reach_the_neuron(tiny_catalogue, carphone, tmp_path):
    """--param sets factory params (image_size=32 -> 2x2 becomes 4x4 patches); --checkpoint loads weights."""
    out = tmp_path / "p.safetensors"
    assert (
        run(carphone, "-n", TINY, "-o", out, "--frames", "2", "-p", "image_size=32", "-q").exit_code
        == 0
    )
    tensors, meta = read(out)
    assert tensors["tokens"].shape == (2 * 17, 8) and json.loads(meta["params"]) == {
        "image_size": 32
    }

    ckpt = tmp_path / "zero.safetensors"
    save_file({"proj.weight": torch.zeros(8, 3, 8, 8), "proj.bias": torch.ones(8)}, str(ckpt))
    assert (
        run(carphone, "-n", TINY, "-o", out, "--frames", "2", "--checkpoint", ckpt, "-q").exit_code
        == 0
    )
    assert torch.equal(load_file(str(out))["tokens"], torch.ones(10, 8))


def test_mask_is_saved_frame_major(tiny_catalogue, carphone, tmp_path):
    """A neuron's mask is written as 'mask' (N,) bool, joined across chunks in frame order."""
    out = tmp_path / "m.safetensors"
    res = run(
        carphone,
        "-n",
        TINY,
        "-o",
        out,
        "--frames",
        "3",
        "--batch-frames",
        "2",
        "-p",
        "with_mask=true",
        "-q",
    )
    assert res.exit_code == 0, res.output
    tensors, _ = read(out)
    assert (
        tensors["mask"].dtype == torch.bool
        and tensors["mask"].tolist() == ([True] * 4 + [False]) * 3
    )


@pytest.mark.parametrize(("name", "calls"), [(TINY, 3), ("test/tiny-video@1", 1)])
def test_image_neurons_run_in_chunks_video_neurons_once(tiny_catalogue, name, calls):
    """encode_frames: an image neuron runs once per chunk of frames, a video neuron once per clip."""
    import numpy as np

    from sen_core.cli._neuron_cmds import encode_frames
    from sen_core.neuron import build_neuron

    neuron = build_neuron(name)
    seen = []
    neuron.register_forward_pre_hook(lambda mod, args: seen.append(args[0].shape[1]))
    frames = np.random.default_rng(0).integers(0, 255, size=(5, 16, 16, 3), dtype=np.uint8)
    tokens = encode_frames(neuron, frames, batch_frames=2)
    assert len(seen) == calls and sum(seen) == 5
    assert tokens.x.shape == (1, 25, 8) and tokens.layout.frames == 5


def test_progress_bar_goes_to_stderr(tiny_catalogue, carphone, tmp_path):
    """The progress bar is written on stderr; stdout has only the summary line."""
    res = run(carphone, "-n", TINY, "-o", tmp_path / "o.safetensors", "--frames", "3")
    assert res.exit_code == 0 and "encoding with test/tiny-frames@1" in res.stderr
    assert res.stdout.startswith("wrote ") and "encoding" not in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-n", "test/tiny-framez@1"],
            "unknown encoder component 'test/tiny-framez@1'; did you mean 'test/tiny-frames@1'",
        ),
        (
            ["-n", "test/tiny-text@1"],
            "neuron 'test/tiny-text@1' reads text; sen encode needs an image or video neuron",
        ),
        (
            ["-n", TINY, "-p", "image_size"],
            "bad --param 'image_size': expected key=value, e.g. tokens_per_frame=cls or model_kwargs={depth: 2}",
        ),
        (["-n", TINY, "-p", "depth=[1"], "bad --param 'depth=[1': the value is not valid YAML"),
        (
            ["-n", TINY, "-p", "colour=red"],
            "invalid params for encoder 'test/tiny-frames@1': params.colour: unknown parameter",
        ),
        (["-n", TINY, "--frames", "2", "--fps", "3"], "give either --frames or --fps, not both"),
    ],
)
def test_user_errors_exit_2_with_one_line(tiny_catalogue, carphone, tmp_path, args, message):
    """Unknown neuron, wrong modality, bad --param, conflicting options: exit 2, one 'error:' line."""
    res = run(carphone, "-o", tmp_path / "o.safetensors", *args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), res.stderr
    assert not (tmp_path / "o.safetensors").exists()


def test_file_errors_exit_2(tiny_catalogue, broken_files, tmp_path):
    """Missing output folder, missing video, unreadable video, missing checkpoint: exit 2 with the path."""
    cases = [
        (
            [broken_files["text"], "-o", tmp_path / "no" / "o.safetensors"],
            f"output folder does not exist: {tmp_path / 'no'}",
        ),
        (
            [tmp_path / "gone.mp4", "-o", tmp_path / "o.safetensors"],
            f"video file not found: {tmp_path / 'gone.mp4'}",
        ),
        (
            [broken_files["text"], "-o", tmp_path / "o.safetensors"],
            f"cannot read video '{broken_files['text']}': not a video file",
        ),
        (
            [broken_files["audio"], "-o", tmp_path / "o.safetensors"],
            f"'{broken_files['audio']}' has no video stream",
        ),
        (
            [
                broken_files["text"],
                "-o",
                tmp_path / "o.safetensors",
                "--checkpoint",
                tmp_path / "w.safetensors",
            ],
            f"checkpoint file not found: {tmp_path / 'w.safetensors'}",
        ),
    ]
    for args, message in cases:
        res = run(*args, "-n", TINY)
        assert res.exit_code == 2 and res.stderr.startswith(f"error: {message}"), res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


def test_parse_params_nests_dotted_keys_and_reads_yaml():
    """Values are YAML; dotted keys build nested mappings."""
    got = parse_params(
        ["a=1", "b=cls", "model_kwargs={depth: 2}", "model_kwargs.embed_dim=64", "flag=true", "s="]
    )
    assert got == {
        "a": 1,
        "b": "cls",
        "model_kwargs": {"depth": 2, "embed_dim": 64},
        "flag": True,
        "s": "",
    }


def test_real_timm_vit_on_bikes(bikes, tmp_path):
    """The real catalogue's timm/vit_tiny_patch16_224 (tiny random config) encodes 4 frames of bikes."""
    from sen_core.catalogue import get_catalogue

    if "timm/vit_tiny_patch16_224" not in get_catalogue():
        pytest.skip("the sen_timm plugin is not installed")
    out = tmp_path / "vit.safetensors"
    res = run(
        bikes,
        "-n",
        "timm/vit_tiny_patch16_224",
        "-o",
        out,
        "--frames",
        "4",
        "-q",
        "-p",
        "model_kwargs={depth: 1, embed_dim: 32, num_heads: 2}",
        "-p",
        "image_size=32",
    )
    assert res.exit_code == 0, res.output
    tensors, meta = read(out)
    assert tensors["tokens"].shape == (4 * 5, 32) and torch.isfinite(tensors["tokens"]).all()
    assert json.loads(meta["layout"]) == {
        "kind": "frames",
        "frames": 4,
        "tokens_per_frame": 5,
        "grid": [2, 2],
        "special_tokens": 1,
    }
    assert meta["neuron"] == "timm/vit_tiny_patch16_224" and meta["frames"] == "4"
    assert json.loads(meta["params"]) == {
        "image_size": 32,
        "model_kwargs": {"depth": 1, "embed_dim": 32, "num_heads": 2},
    }
