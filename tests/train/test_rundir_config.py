"""`sen eval` on a run dir whose config.yaml is damaged: one line naming the file, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sen_core.cli import cli


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
            "config.yaml is not UTF-8 text (byte 0: invalid start byte); "
            "expected the YAML run config that sen train wrote",
        ),
        (
            "name: r\n".encode("utf-16"),
            "config.yaml is not UTF-8 text (byte 0: invalid start byte); "
            "expected the YAML run config that sen train wrote",
        ),
        (
            b"name: [1, 2\n",
            "config.yaml is not valid YAML at line 2: expected ',' or ']', but got '<stream end>'",
        ),
        (
            b"a: 1\na: 2\n",
            "config.yaml is not valid YAML at line 2: duplicate key 'a' (first set at line 1)",
        ),
        (
            b"- 1\n- 2\n",
            "config.yaml is not a valid run config: (top): Input should be a valid dictionary or instance of RunConfig",
        ),
    ],
)
def test_damaged_run_config(run_train, content, expected):
    """Binary, UTF-16, bad YAML, a duplicate key, a list: `sen eval` exits 2 with one line."""
    _, _, run_dir = run_train("r", steps=1, checkpoint_every=1)
    (run_dir / "config.yaml").write_bytes(content)
    res = CliRunner().invoke(cli, ["eval", str(run_dir)])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [f"error: {run_dir}/{expected}"]


def test_damaged_final_json_on_resume(run_train):
    """Resuming a finished run whose final.json is binary: CheckpointError naming the file."""
    from sen_core.errors import CheckpointError

    _, _, run_dir = run_train("r", steps=1, checkpoint_every=1)
    (run_dir / "final.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CheckpointError, match=r"cannot read .*/r/final.json: 'utf-8' codec"):
        run_train("r", steps=1, checkpoint_every=1, resume=True)


def test_binary_metrics_line_is_skipped(tmp_path):
    """A non-UTF-8 line in metrics.jsonl is skipped like a torn one; the others are read."""
    from sen_core.train.logging import read_metrics

    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"step": 1, "loss": 2.5}\n\xff\xfe{"step": 2}\n{"step": 3, "loss": 1.5}\n')
    assert [r["step"] for r in read_metrics(path)] == [1, 3]


def test_binary_preprocessor_config(tmp_path):
    """A binary preprocessor_config.json next to a transformers checkpoint is a ConfigError."""
    from sen_core.errors import ConfigError
    from sen_transformers.loading import read_image_norm

    (tmp_path / "preprocessor_config.json").write_bytes(b"\x00\xff\xfe")
    with pytest.raises(ConfigError, match=r"cannot read .*preprocessor_config.json: 'utf-8'"):
        read_image_norm(str(tmp_path), (0.5,), (0.5,))
