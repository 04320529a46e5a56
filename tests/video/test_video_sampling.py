"""sample_indices: which source frames a frame count or a target rate keeps (pure function)."""

from __future__ import annotations

import numpy as np
import pytest

from sen_core.data.video import sample_indices
from sen_core.errors import InputError


def test_num_frames_takes_segment_centres():
    """N frames are the centres of N equal segments of the clip."""
    assert sample_indices(250, 25.0, num_frames=4).tolist() == [31, 93, 156, 218]
    assert sample_indices(10, 25.0, num_frames=5).tolist() == [1, 3, 5, 7, 9]


def test_num_frames_longer_than_clip_repeats_frames():
    """Asking for more frames than the clip holds repeats frames, in order, covering every frame."""
    idx = sample_indices(3, 30.0, num_frames=8)
    assert idx.tolist() == [0, 0, 0, 1, 1, 2, 2, 2]


def test_fps_takes_one_frame_per_period():
    """fps=5 on a 25 fps clip keeps every fifth frame, for the whole duration."""
    idx = sample_indices(250, 25.0, fps=5.0)
    assert len(idx) == 50 and idx[:4].tolist() == [0, 5, 10, 15] and idx[-1] == 245


def test_fps_above_source_rate_repeats_frames():
    """Sampling faster than the source repeats source frames (frame shown at each instant)."""
    idx = sample_indices(4, 2.0, fps=4.0)
    assert idx.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_non_integer_source_rate():
    """29.97 fps sampled at 10 fps picks the frame on screen at each 0.1 s instant."""
    idx = sample_indices(120, 30000 / 1001, fps=10.0)
    assert len(idx) == 41 and idx[:5].tolist() == [0, 2, 5, 8, 11]
    times = np.arange(41) / 10.0
    assert np.all(idx / (30000 / 1001) <= times + 1e-9) and np.all(
        (idx + 1) / (30000 / 1001) > times
    )


def test_window_bounds_the_indices():
    """start/end (seconds) restrict the frames to [start, end)."""
    idx = sample_indices(250, 25.0, num_frames=4, start=2.0, end=4.0)
    assert idx.tolist() == [56, 68, 81, 93]
    assert sample_indices(250, 25.0, fps=2.0, start=2.0, end=4.0).tolist() == [50, 62, 75, 87]
    assert sample_indices(250, 25.0, start=9.9).tolist() == [248, 249]


def test_default_keeps_every_frame():
    """Without num_frames or fps every frame of the window is kept."""
    assert sample_indices(6, 3.0).tolist() == [0, 1, 2, 3, 4, 5]


def test_end_past_clip_is_clamped():
    """An end past the clip's end stops at the last frame."""
    assert sample_indices(10, 10.0, fps=10.0, end=5.0).tolist() == list(range(10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_frames": 4, "fps": 2.0}, "give either num_frames or fps, not both"),
        ({"num_frames": 0}, "num_frames must be a positive integer, got 0"),
        ({"num_frames": 2.5}, "num_frames must be a positive integer, got 2.5"),
        ({"fps": 0.0}, "fps must be positive, got 0.0"),
        ({"start": 10.0}, "start=10s is at or past the end of the clip (10.000s)"),
        ({"start": -1.0}, "start must be >= 0 seconds, got -1.0"),
        ({"start": 3.0, "end": 2.0}, "end (2s) must be after start (3s)"),
    ],
)
def test_bad_arguments_raise_input_error(kwargs, message):
    """Contradictory or out-of-range arguments raise InputError with the exact reason."""
    with pytest.raises(InputError) as err:
        sample_indices(250, 25.0, **kwargs)
    assert str(err.value) == message


def test_empty_clip_is_an_error():
    """A clip without frames cannot be sampled."""
    with pytest.raises(InputError, match="the clip has 0 frames; expected at least 1"):
        sample_indices(0, 25.0, num_frames=2)
