"""sen_core.data: what datasets share: sample records, video decoding and frame sampling.

A benchmark reader turns its official layout into ``Record``s (annotations in source units, with
the official ids); ``decode_video`` (PyAV) turns a file into sampled, resized uint8 frames; ``sample_indices`` picks
frames by count or fps; ``loads_json`` parses annotation files safely. Names resolve on first use (importing this package imports no numpy or
torch). Dataset plugins build on these; see docs/datasets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sen_core._exports import lazy_getattr

if TYPE_CHECKING:
    from sen_core._io import loads_json
    from sen_core.data.collate import collate_samples
    from sen_core.data.records import Record, Source
    from sen_core.data.video import (
        EXAMPLE_CLIPS,
        ShortDecodeWarning,
        decode_video,
        example_clip,
        sample_indices,
    )

_WHERE = {
    "sen_core._io": ("loads_json",),
    "sen_core.data.collate": ("collate_samples",),
    "sen_core.data.records": ("Record", "Source"),
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
    "Record",
    "ShortDecodeWarning",
    "Source",
    "collate_samples",
    "decode_video",
    "example_clip",
    "loads_json",
    "sample_indices",
]
__getattr__ = lazy_getattr(__name__, _WHERE, __all__)
