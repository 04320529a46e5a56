"""Dataset factories of the MSR-VTT, Kinetics, SSv2 and video-QA readers: records + a Protocol.

Each factory validates its params, reads the split with its reader (``msrvtt``, ``kinetics``,
``ssv2``, ``videoqa``) and returns a ``RecordDataset``: ``count`` frames spread over the clip,
shorter side resized and centre-cropped; held-out splits of the recognition benchmarks expand into
``clips`` x ``crops`` test views, which the classification meter averages per video.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sen_core.data import Protocol, Record, RecordDataset
from sen_core.errors import InputError
from sen_core.specs import DatasetSpec

from .._params import parse_params
from .kinetics import annotation_file, kinetics_classes, read_kinetics
from .msrvtt import read_msrvtt
from .ssv2 import read_ssv2, ssv2_classes
from .videoqa import qa_answers, read_videoqa

OTHER_ANSWER = "<other>"


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    root: str = Field(description="the folder the benchmark was downloaded to")
    frames: int = Field(default=8, ge=1, description="T, frames spread over each clip")
    image_size: int = Field(default=224, ge=8, description="shorter side, then a square crop")
    videos: str | None = Field(default=None, description="video folder relative to root")
    max_samples: int | None = Field(default=None, ge=1, description="the first N records only")
    seed: int = Field(default=0, ge=0, description="seed of the per-epoch caption draws")


class MsrvttParams(_Common):
    train_size: Literal["9k", "7k"] = Field(default="9k", description="MSRVTT_train.{9k,7k}.csv")
    caption: Literal["random", "all"] = Field(
        default="random",
        description="train: a random caption per video per epoch, or every caption a sample",
    )


class ViewParams(_Common):
    clips: int = Field(default=1, ge=1, description="test views: temporal clips (not on train)")
    crops: Literal[1, 3] = Field(default=1, description="test views: spatial crops (not on train)")


class KineticsParams(ViewParams):
    missing: Literal["skip", "error"] = Field(
        default="skip", description="clips the csv lists but the folder lacks (YouTube takedowns)"
    )


class QaParams(_Common):
    top_k: int | None = Field(default=None, ge=1, description="answer vocabulary: the top K")


def _root(spec: DatasetSpec, root: str) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise InputError(f"{spec.name}: root folder not found: {path}")
    return path


def _protocol(p: _Common, split: str, views: bool = False) -> Protocol:
    held_out = views and split != "train" and isinstance(p, ViewParams)
    return Protocol(
        frames="count",
        num_frames=p.frames,
        resize="short_crop",
        size=p.image_size,
        clips=p.clips if held_out and isinstance(p, ViewParams) else 1,
        crops=p.crops if held_out and isinstance(p, ViewParams) else 1,
    )


def msrvtt_dataset(spec: DatasetSpec, split: str = "train", **params: Any) -> RecordDataset:
    """``sen/msrvtt-data@1``: MSR-VTT retrieval (1k-A test, 9k / 7k train, every caption)."""
    p: MsrvttParams = parse_params(spec, params, MsrvttParams)
    root = _root(spec, p.root)
    records = read_msrvtt(
        root, split, train_size=p.train_size, expand=p.caption == "all", videos=p.videos
    )[: p.max_samples]
    return RecordDataset(
        records,
        _protocol(p, split),
        name=spec.name,
        where=str(root),
        split=split,
        random_caption=split == "train" and p.caption == "random",
        seed=p.seed,
    )


def kinetics_dataset(spec: DatasetSpec, split: str = "train", **params: Any) -> RecordDataset:
    """``sen/kinetics-data@1``: Kinetics-400/600/700 csv + trimmed clips, MMAction2's classes."""
    p: KineticsParams = parse_params(spec, params, KineticsParams)
    root = _root(spec, p.root)
    classes = kinetics_classes(root)
    records = read_kinetics(root, split, videos=p.videos, missing=p.missing)
    listed = len(_rows(root, split))
    if len(records) < listed:
        warnings.warn(
            f"{spec.name}: {annotation_file(root, split)}: {listed - len(records)} of {listed} "
            "clips are not on disk and are left out",
            stacklevel=2,
        )
    return _classes(spec, root, split, records[: p.max_samples], classes, _protocol(p, split, True))


def _rows(root: Path, split: str) -> list[dict[str, str]]:
    from ._layout import read_csv

    return read_csv(annotation_file(root, split), ("youtube_id",))


def ssv2_dataset(spec: DatasetSpec, split: str = "train", **params: Any) -> RecordDataset:
    """``sen/ssv2-data@1``: Something-Something-v2 json + labels json + webm videos."""
    p: ViewParams = parse_params(spec, params, ViewParams)
    root = _root(spec, p.root)
    records = read_ssv2(root, split, videos=p.videos)[: p.max_samples]
    return _classes(spec, root, split, records, ssv2_classes(root), _protocol(p, split, True))


def _classes(
    spec: DatasetSpec,
    root: Path,
    split: str,
    records: list[Record],
    classes: list[str],
    protocol: Protocol,
) -> RecordDataset:
    return RecordDataset(
        records, protocol, class_names=classes, name=spec.name, where=str(root), split=split
    )


def videoqa_dataset(
    spec: DatasetSpec, split: str = "train", *, bench: str = "msvd-qa", **params: Any
) -> RecordDataset:
    """``sen/msvd-qa-data@1``, ``sen/msrvtt-qa-data@1``: open-ended video QA.

    ``label`` indexes the train answer vocabulary; an answer outside it gets the last class,
    ``<other>``, which the train split never uses (its questions with such answers are left out).
    """
    p: QaParams = parse_params(spec, params, QaParams)
    root = _root(spec, p.root)
    vocab = qa_answers(root, p.top_k)
    records = read_videoqa(root, split, bench=bench, top_k=p.top_k, videos=p.videos)
    if split == "train":
        records = [r for r in records if r.label is not None]
    other = len(vocab)
    records = [r if r.label is not None else _relabel(r, other) for r in records]
    return RecordDataset(
        records[: p.max_samples],
        _protocol(p, split),
        class_names=[*vocab, OTHER_ANSWER],
        name=spec.name,
        where=str(root),
        split=split,
    )


def _relabel(record: Record, label: int) -> Record:
    from dataclasses import replace

    return replace(record, label=label)
