"""``RecordDataset``: the one video dataset every benchmark reader plugs into.

How a reader plugs in (docs/datasets.md, "Benchmark readers"):

1. Parse the official files of one split into a list of ``Record`` (ids, ``Source``, annotations
   in source units: seconds, source pixels, one entry per source frame). Raise ``InputError``
   naming the file and the entry for anything malformed; check what can be checked without
   decoding (missing videos, windows past ``duration``).
2. Fix the label vocabulary once for every split (``class_names``: the official class list, or
   the sorted names of the *train* split), and give each record its index in it.
3. Return ``RecordDataset(records, Protocol(...), class_names=..., name=..., where=...)`` from the
   dataset factory; the protocol is the benchmark's evaluation protocol, its fields the
   factory's params.

``dataset[i]`` decodes record ``i // views`` for view ``i % views`` through the protocol and
returns tensors; ``collate`` pads frames, points and saliency clips with masks so batches of any
size work; a failure names ``where`` and the record's ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from sen_core.data.collate import PAD_AXES, collate_samples
from sen_core.data.protocol import Protocol
from sen_core.data.records import Record
from sen_core.errors import InputError, SenError

__all__ = ["RecordDataset"]


def _ids_text(ids: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in dict(ids).items())


class RecordDataset(Dataset[dict[str, Any]]):
    """Samples of ``records`` through ``protocol``.

    Args:
        records: the split, in order.
        protocol: frame sampling, resize, views, query mode.
        class_names: the fixed label vocabulary (the same list for every split).
        name: the dataset's catalogue name (for messages).
        where: the annotation file (for messages).
        split: the split's name.
        random_caption: draw one of a record's ``captions`` per read (training, CLIP4Clip style)
            instead of its ``caption``: the draw is a function of (``seed``, epoch, record), the
            epoch set by ``set_epoch`` (the training stream calls it before each epoch).
        seed: the seed of the caption draws.
    """

    def __init__(
        self,
        records: Sequence[Record],
        protocol: Protocol,
        *,
        class_names: Sequence[str] = (),
        name: str = "dataset",
        where: str = "",
        split: str = "train",
        random_caption: bool = False,
        seed: int = 0,
    ) -> None:
        if not records:
            raise InputError(f"{name}: {where or split}: the split has no samples")
        self.records = list(records)
        self.protocol = protocol
        self.class_names = list(class_names)
        self.name, self.where, self.split = name, where, split
        self.random_caption = random_caption
        self.seed, self.epoch = seed, 0
        self._fps: float | None = protocol.fps if protocol.frames == "fps" else None

    @property
    def fps(self) -> float:
        """The sampling rate of the first sample (samples may differ; see sample['fps'])."""
        if self._fps is None:
            self._fps = float(self[0]["fps"])
        return self._fps

    def __len__(self) -> int:
        return len(self.records) * self.protocol.views

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{self.name} has {n} samples; index {index} is out of range")
        rec_i, view = divmod(index % n, self.protocol.views)
        record = self.records[rec_i]
        try:
            raw = self.protocol.sample(record, view)
        except SenError as exc:
            where = f"{self.where}: " if self.where else ""
            raise InputError(f"{where}entry {_ids_text(record.ids)}: {exc}") from None
        if self.random_caption and record.captions:
            draw = np.random.default_rng((self.seed, self.epoch, rec_i))
            raw["caption"] = record.captions[int(draw.integers(len(record.captions)))]
        return to_tensors(raw)

    def set_epoch(self, epoch: int) -> None:
        """The epoch the next reads belong to (a new caption draw per video per epoch).

        Args:
            epoch: the training epoch (0-based).
        """
        self.epoch = int(epoch)

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        """Pad and stack samples into a batch (adds ``class_names`` and the masks).

        Args:
            samples: ``dataset[i]`` dicts.
        """
        return collate_samples(samples, class_names=self.class_names or None, pad=PAD_AXES)


def to_tensors(raw: dict[str, Any]) -> dict[str, Any]:
    """NumPy arrays -> tensors (``label`` a 0-d int64 tensor); everything else unchanged.

    Args:
        raw: a ``Protocol.sample`` dict.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "label":
            out[key] = torch.tensor(int(value), dtype=torch.int64)
        elif isinstance(value, (np.ndarray, np.generic)):
            arr = np.asarray(value)
            out[key] = torch.from_numpy(np.ascontiguousarray(arr) if arr.ndim else arr.copy())
        else:
            out[key] = value
    return out
