"""A video that decodes to fewer frames than its container declares is reported, never padded."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors import safe_open

from sen_core.cli import cli
from sen_core.data.video import ShortDecodeWarning, decode_video, sample_indices
from sen_core.errors import InputError

TINY = "test/tiny-frames@1"


def _message(path) -> str:
    return f"'{path}' declares 250 frames but only 114 decode (truncated or damaged file)"


def test_default_warns_and_samples_the_decoded_frames(half_bikes, bikes):
    """8 frames of the cut clip: a warning with both counts; indices spread over frames 0-113,
    and each frame equals that frame of the intact clip (nothing repeated to fill the length)."""
    with pytest.warns(ShortDecodeWarning) as caught:
        frames, info = decode_video(half_bikes, num_frames=8, size=32)
    assert [str(w.message) for w in caught] == [
        _message(half_bikes) + "; sampling from the 114 frames that decode"
    ]
    assert info["indices"] == sample_indices(114, 25.0, num_frames=8).tolist()
    assert (info["declared_frames"], info["source_frames"]) == (250, 114)
    assert info["duration"] == pytest.approx(114 / 25)
    whole, _ = decode_video(bikes, num_frames=250, size=32)
    assert np.array_equal(frames, whole[info["indices"]])
    assert len({f.tobytes() for f in frames}) == 8


def test_strict_refuses(half_bikes):
    """strict=True: an InputError with both counts."""
    with pytest.raises(InputError) as err:
        decode_video(half_bikes, num_frames=8, size=32, strict=True)
    assert str(err.value) == _message(half_bikes)


def test_window_inside_the_decoded_part_is_quiet(half_bikes):
    """Frames wanted only from the part that decodes: no warning, no error, even strict."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames, info = decode_video(half_bikes, num_frames=4, size=32, end=4.0, strict=True)
    assert len(frames) == 4 and info["declared_frames"] == info["source_frames"] == 250


def test_sen_encode_warns_then_strict_fails(tiny_catalogue, half_bikes, tmp_path):
    """The issue's case: every frame of the cut clip gave 250 frames (114-249 repeating 113).
    Now 114 frames and one warning line with the counts; --strict-decode exits 2 with one line."""
    out = tmp_path / "t.safetensors"
    res = CliRunner().invoke(
        cli, ["encode", str(half_bikes), "--neuron", TINY, "--out", str(out), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert res.stderr.strip() == (
        "warning: " + _message(half_bikes) + "; sampling from the 114 frames that decode"
    )
    with safe_open(str(out), "pt") as f:
        meta = f.metadata()
    assert (meta["frames"], meta["source_frames"], meta["declared_frames"]) == ("114", "114", "250")
    res = CliRunner().invoke(
        cli,
        ["encode", str(half_bikes), "--neuron", TINY, "--out", str(out), "-q", "--strict-decode"],
    )
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [f"error: {_message(half_bikes)}"]
