"""`sen chat` and VideoChat on a tiny trained run (a random 1-layer Llama with a byte tokenizer).

The run is trained once per module (2 steps); the real LM is not needed here (tests/heads/
test_lm_smollm2.py covers it), except that its absence must be a one-line error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from sen_core.cli import cli

LLAMA = {
    "model_type": "llama",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 128,
}
CONFIG: dict[str, Any] = {
    "name": "tiny-chat",
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
            {
                "name": "sen/qa-lm@1",
                "key": "chat",
                "params": {
                    "lm_config": LLAMA,
                    "prefix_tokens": 2,
                    "max_new_tokens": 5,
                    "prompt_template": "<q>{question}</q>{video}<a>",
                },
            }
        ],
    },
    "data": {"name": "sen/shapes@1", "params": {"num_samples": 8, "frames": 2, "image_size": 32}},
    "train": {
        "steps": 2,
        "batch_size": 4,
        "warmup_steps": 1,
        "checkpoint_every": 2,
        "eval_batches": 1,
        "device": "cpu",
    },
}


def _train(root: Path, config: dict, name: str) -> Path:
    from sen_core.config import load_run_config
    from sen_core.train import train

    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    run_dir = root / name
    train(load_run_config(str(path)), run_dir, progress=False)
    return run_dir


def _write_clip(path: Path, frames: np.ndarray) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from sen_data.shapes import ShapesDataset, ShapesParams

    root = tmp_path_factory.mktemp("chat")
    clip = ShapesDataset(ShapesParams(frames=4, image_size=32), "test").render(0)["video"]
    return _train(root, CONFIG, "run"), _write_clip(root / "clip.mp4", clip)


def test_chat_once_streams_the_answer(run):
    """--question prints the streamed answer, as VideoChat.ask streams it (a random LM writes
    invalid UTF-8 at times, so the stream is compared here; test_qa_lm compares it with the
    returned answer on a trained one)."""
    from sen_core.app.chat import VideoChat

    run_dir, clip = run
    res = CliRunner().invoke(cli, ["chat", str(run_dir), str(clip), "-q", "which way?"])
    assert res.exit_code == 0, res.output
    session = VideoChat(run_dir)
    pieces: list[str] = []
    answer = session.ask(clip, "which way?", on_text=pieces.append)
    assert "".join(pieces).strip() == res.output.strip()
    assert VideoChat(run_dir).ask(clip, "which way?") == answer  # a reloaded run answers alike
    assert session.frames == 2 and session.read_video(clip).shape == (1, 2, 32, 32, 3)


def test_chat_interactive_reads_until_exit(run):
    """Without --question every line is a question, until 'exit'."""
    run_dir, clip = run
    res = CliRunner().invoke(cli, ["chat", str(run_dir), str(clip)], input="what?\nwhy?\nexit\n")
    assert res.exit_code == 0, res.output
    assert res.output.count("? ") == 3  # two answers, then the prompt that read 'exit'


def _one_line_error(res, pattern: str) -> None:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and re.search(pattern, lines[0]), res.output


def test_bad_inputs_are_one_line_errors(run, tmp_path):
    """An unreadable video, a missing run and a run without a QA head exit 2 with one line."""
    run_dir, clip = run
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    runner = CliRunner()
    _one_line_error(
        runner.invoke(cli, ["chat", str(run_dir), str(bad), "-q", "x"]), "cannot read video"
    )
    _one_line_error(
        runner.invoke(cli, ["chat", str(tmp_path / "nope"), str(clip), "-q", "x"]), "does not exist"
    )
    no_qa = {
        **CONFIG,
        "model": {
            **CONFIG["model"],
            "heads": [
                {"name": "sen/classify-linear@1", "key": "cls", "params": {"num_classes": 12}}
            ],
        },
    }
    plain = _train(tmp_path, no_qa, "plain")
    _one_line_error(
        runner.invoke(cli, ["chat", str(plain), str(clip), "-q", "x"]),
        r"no QA head.*cls \(sen/classify-linear@1\)",
    )


def test_missing_lm_extra_is_a_one_line_error(run, tmp_path, monkeypatch):
    """A run whose head names the real LM, on a machine without the wheel: exit 2 with the pip line."""
    import shutil

    from sen_heads import lm_zoo

    run_dir, clip = run
    monkeypatch.setitem(
        lm_zoo.NAMED, "smollm2-135m-instruct", lm_zoo.WheelLM("no-such-dist-sen", "x.gguf")
    )
    monkeypatch.setattr(lm_zoo, "_LOADED", {})  # a test before this one may have loaded the real LM
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    cfg = yaml.safe_load((copy / "config.yaml").read_text())
    params = cfg["model"]["heads"][0]["params"]
    del params["lm_config"]
    params["lm"] = "smollm2-135m-instruct"
    (copy / "config.yaml").write_text(yaml.safe_dump(cfg))
    # the copy's config was edited to name the real LM, so its hash no longer matches the
    # checkpoint's; checkpoint ownership is tested in tests/fuzz/test_hostile.py, not here
    monkeypatch.setattr("sen_core.train.evaluation.check_owner", lambda *a, **k: None)
    res = CliRunner().invoke(cli, ["chat", str(copy), str(clip), "-q", "x"])
    _one_line_error(res, r"needs the optional extra.*pip install 'sen\[lm\]'")
