"""sen_core.data: what datasets share: sample records, the protocol, the dataset, decoding, batching.

A benchmark reader turns its official layout into ``Record``s (annotations in source units, with
the official ids) and returns ``RecordDataset(records, Protocol(...), class_names=...)``: the
protocol samples frames, resizes and rescales annotations exactly once; ``collate_samples`` pads
variable frames / points / saliency clips with masks. ``decode_video`` (PyAV) turns a file into
sampled, resized uint8 frames; ``sample_indices`` picks frames by count or fps; ``loads_json``
parses annotation files safely; ``load_pickle`` unpickles NumPy arrays and containers only. Names
resolve on first use (importing this package imports no numpy or torch). See docs/datasets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sen_core._exports import lazy_getattr

if TYPE_CHECKING:
    from sen_core._io import loads_json
    from sen_core.data.collate import PAD_AXES, collate_samples
    from sen_core.data.dataset import RecordDataset, to_tensors
    from sen_core.data.protocol import Protocol, clip_scores, queries_first, queries_strided
    from sen_core.data.records import Record, Source
    from sen_core.data.safe_pickle import load_pickle
    from sen_core.data.video import (
        EXAMPLE_CLIPS,
        ShortDecodeWarning,
        decode_video,
        example_clip,
        sample_indices,
    )

_WHERE = {
    "sen_core._io": ("loads_json",),
    "sen_core.data.collate": ("PAD_AXES", "collate_samples"),
    "sen_core.data.dataset": ("RecordDataset", "to_tensors"),
    "sen_core.data.protocol": ("Protocol", "clip_scores", "queries_first", "queries_strided"),
    "sen_core.data.records": ("Record", "Source"),
    "sen_core.data.safe_pickle": ("load_pickle",),
    "sen_core.data.video": (
        "EXAMPLE_CLIPS",
        "ShortDecodeWarning",
        "decode_video",
        "example_clip",
        "sample_indices",
    ),
}
__all__ = [
    "EXAMPLE_CLIPS",
    "PAD_AXES",
    "Protocol",
    "Record",
    "RecordDataset",
    "ShortDecodeWarning",
    "Source",
    "clip_scores",
    "collate_samples",
    "decode_video",
    "example_clip",
    "load_pickle",
    "loads_json",
    "queries_first",
    "queries_strided",
    "sample_indices",
    "to_tensors",
]
__getattr__ = lazy_getattr(__name__, _WHERE, __all__)
