"""``sen encode``: one video -> one neuron -> a safetensors file of tokens (with their layout).

Decodes and samples the clip (sen_core.data.video), builds the neuron from the catalogue, encodes the
frames in chunks with a progress bar on stderr, and writes the file atomically.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sen_core.errors import InputError, SenError

if TYPE_CHECKING:
    from rich.progress import Progress

# helpers


def parse_params(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``('a=1', 'model_kwargs.depth=2')`` -> ``{'a': 1, 'model_kwargs': {'depth': 2}}`` (values are YAML)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        key = key.strip()
        parts = key.split(".")
        if not eq or not key or not all(p.isidentifier() for p in parts):
            raise SenError(
                f"bad --param {item!r}: expected key=value, e.g. tokens_per_frame=cls or model_kwargs={{depth: 2}}"
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise SenError(
                f"bad --param {item!r}: the value is not valid YAML ({getattr(exc, 'problem', None) or exc})"
            ) from None
        node = out
        for p in parts[:-1]:
            child = node.setdefault(p, {})
            if not isinstance(child, dict):
                raise SenError(
                    f"bad --param {item!r}: '{p}' was already set to a non-mapping value"
                )
            node = child
        node[parts[-1]] = value
    return out


def _atomic_save(tensors: dict[str, Any], path: Path, metadata: dict[str, str]) -> None:
    """Write a safetensors file under a temporary name in the same folder, then rename it into place."""
    from safetensors.torch import save_file

    from sen_core._io import atomic_write

    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def _progress(quiet: bool) -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    )


def encode_frames(neuron: Any, frames: Any, batch_frames: int, progress: Any = None) -> Any:
    """Encode uint8 frames (T, H, W, 3) with ``neuron``: image neurons in chunks of ``batch_frames``.

    Returns one ``Tokens`` (1, N, D) for the whole clip; chunk outputs are joined frame-major.
    """
    import dataclasses

    import torch

    from sen_core.neuron import Tokens

    device = next((p.device for p in neuron.parameters()), torch.device("cpu"))
    clip = torch.from_numpy(frames).unsqueeze(0)  # (1, T, H, W, 3) uint8
    T = clip.shape[1]
    task = (
        progress.add_task(f"encoding with {neuron.name}", total=T) if progress is not None else None
    )
    with torch.inference_mode():
        if neuron.modality == "video" or batch_frames >= T:
            tok = neuron(clip.to(device))
            if progress is not None:
                progress.update(task, completed=T)
            return tok
        xs, masks, first = [], [], None
        for s in range(0, T, batch_frames):
            chunk = clip[:, s : s + batch_frames]
            tok = neuron(chunk.to(device))
            if tok.layout.frames != chunk.shape[1]:  # not per-frame tokens: chunks cannot be joined
                tok = neuron(clip.to(device))
                if progress is not None:
                    progress.update(task, completed=T)
                return tok
            if first is None:
                first = tok.layout
            xs.append(tok.x)
            masks.append(tok.mask)
            if progress is not None:
                progress.update(task, advance=chunk.shape[1])
        mask = torch.cat(masks, dim=1) if all(m is not None for m in masks) else None
        assert first is not None  # the clip has at least one frame
        return Tokens(torch.cat(xs, dim=1), dataclasses.replace(first, frames=T), mask)


# commands


@click.command("encode")
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--neuron",
    "-n",
    "neuron_name",
    required=True,
    help="Encoder name, e.g. timm/vit_tiny_patch16_224.",
)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output .safetensors file (its folder must exist).",
)
@click.option(
    "--frames", type=click.IntRange(min=1), help="Sample N frames spread uniformly over the clip."
)
@click.option(
    "--fps", type=click.FloatRange(min=0, min_open=True), help="Sample frames at this rate instead."
)
@click.option(
    "--size",
    type=click.IntRange(min=1),
    help="Decode with the shorter side at this size (default: the neuron's image size).",
)
@click.option("--start", type=click.FloatRange(min=0), help="Start of the window, in seconds.")
@click.option(
    "--end", type=click.FloatRange(min=0, min_open=True), help="End of the window, in seconds."
)
@click.option(
    "--batch-frames",
    default=16,
    show_default=True,
    type=click.IntRange(min=1),
    help="Frames encoded per forward pass (image neurons).",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Neuron parameter (value parsed as YAML; dotted keys nest). Repeatable.",
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Local weights file for the neuron (its 'checkpoint' param).",
)
@click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cuda.")
@click.option(
    "--strict-decode",
    is_flag=True,
    help="Fail when the video decodes to fewer frames than its container declares "
    "(default: warn with the counts and sample from the frames that decode).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def encode_cmd(
    video: Path,
    neuron_name: str,
    out: Path,
    frames: int | None,
    fps: float | None,
    size: int | None,
    start: float | None,
    end: float | None,
    batch_frames: int,
    params: tuple[str, ...],
    checkpoint: Path | None,
    device: str,
    strict_decode: bool,
    quiet: bool,
) -> None:
    """Encode VIDEO with one neuron and save the tokens to a safetensors file.

    \b
    The file holds 'tokens' (N, D) float32, frame-major (N = frames x tokens_per_frame), and
    'mask' (N,) when the neuron gives one; its metadata holds the neuron, its params, the token
    layout (JSON), frames, fps, timestamps (seconds), the source file and the sen version.

    \b
    Example:
      sen encode clip.mp4 --neuron timm/vit_tiny_patch16_224 --frames 8 --out clip.safetensors
    """
    from sen_core._version import __version__
    from sen_core.catalogue import get_catalogue
    from sen_core.data.video import ShortDecodeWarning, decode_video

    if frames is not None and fps is not None:
        raise SenError("give either --frames or --fps, not both")
    if not out.parent.is_dir():
        raise SenError(f"output folder does not exist: {out.parent}")
    if not video.exists():
        raise InputError(f"video file not found: {video}")
    kwargs = parse_params(params)
    if checkpoint is not None:
        if not checkpoint.is_file():
            raise SenError(f"checkpoint file not found: {checkpoint}")
        kwargs["checkpoint"] = str(checkpoint)

    spec = get_catalogue().get(neuron_name, kind="encoder")
    if spec.modality not in ("image", "video"):
        raise SenError(
            f"neuron '{spec.name}' reads {spec.modality}; sen encode needs an image or video neuron"
        )

    import torch

    from sen_core.neuron import build_neuron

    try:
        neuron = build_neuron(spec, **kwargs)
    except TypeError as exc:  # a factory without its own param check
        raise SenError(
            f"neuron '{spec.name}' rejected its params {sorted(kwargs)}: {exc}"
        ) from None
    try:
        neuron = neuron.to(torch.device(device)).eval()
    except (RuntimeError, AssertionError) as exc:
        raise SenError(f"cannot use device '{device}': {exc}") from None

    if size is None:  # decode straight to the neuron's input scale: less to convert and resize
        size = getattr(neuron, "image_size", None) or spec.preprocess.image_size
        size = size if isinstance(size, int) else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ShortDecodeWarning)
        clip, info = decode_video(
            video,
            num_frames=frames,
            fps=fps,
            size=size,
            start=start,
            end=end,
            strict=strict_decode,
        )
    for w in caught:  # a short decode is one line on stderr; anything else as Python shows it
        if issubclass(w.category, ShortDecodeWarning):
            click.echo(f"warning: {w.message}", err=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    with _progress(quiet) as progress:
        tokens = encode_frames(neuron, clip, batch_frames, progress)

    tensors = {"tokens": tokens.x[0].detach().float().cpu().contiguous()}
    if tokens.mask is not None:
        tensors["mask"] = tokens.mask[0].detach().bool().cpu().contiguous()
    metadata = {
        "format": "pt",
        "neuron": spec.name,
        "params": json.dumps(kwargs, sort_keys=True, default=str),
        "layout": json.dumps(_layout_dict(tokens.layout)),
        "frames": str(len(clip)),
        "fps": repr(float(info["fps"])),
        "timestamps": json.dumps(info["timestamps"]),
        "source": str(video.resolve()),
        "source_fps": repr(float(info["source_fps"])),
        "source_frames": str(info["source_frames"]),  # frames that decode
        "declared_frames": str(info["declared_frames"]),  # frames the container declares
        "frame_size": json.dumps([info["height"], info["width"]]),
        "sen_version": __version__,
    }
    _atomic_save(tensors, out, metadata)
    n, d = tensors["tokens"].shape
    lay = tokens.layout
    click.echo(
        f"wrote {out}: tokens ({n}, {d}) = {lay.frames} frames x {lay.tokens_per_frame} tokens "
        f"from {spec.name}"
    )


def _layout_dict(layout: Any) -> dict[str, Any]:
    import dataclasses

    d = dataclasses.asdict(layout)
    d["grid"] = list(d["grid"]) if d["grid"] is not None else None
    return d


def register(cli: click.Group) -> None:
    cli.add_command(encode_cmd)
