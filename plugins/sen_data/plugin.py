"""Hook implementations of `sen_data` (entry point group `sen`): the first-party datasets.

Registers specs only (no torch, no numpy at import); the factories live in ``sen_data.shapes``
and ``sen_data.video_folder`` and are imported when a dataset is built.
"""

from __future__ import annotations

from sen_core.hookspecs import hookimpl
from sen_core.specs import DatasetSpec

_TASKS = ("classification", "retrieval", "qa", "moments", "tracking")


@hookimpl
def sen_datasets(register) -> None:
    register(
        DatasetSpec(
            name="sen/shapes@1",
            summary="Synthetic moving-shape videos (shape x motion classes) with captions, QA, moments and point tracks",
            factory="sen_data.shapes:shapes_dataset",
            params={
                "num_samples": 512,
                "frames": 8,
                "image_size": 64,
                "num_shapes": 2,
                "num_points": 4,
                "fps": 8.0,
                "seed": 0,
            },
            param_types={
                "shapes": "list",
                "motions": "list",
                "antialias": "bool",
                "noise": "float",
            },
            tasks=_TASKS,
            tags=("synthetic", "video"),
        )
    )
    register(
        DatasetSpec(
            name="sen/video-folder@1",
            summary="Real videos from a folder, annotated by a JSONL file (labels, captions, QA, moments, tracks)",
            factory="sen_data.video_folder:video_folder_dataset",
            params={"annotations": "{split}.jsonl", "frames": 8, "image_size": 224},
            param_types={
                "root": "str",
                "fps": "float|null",
                "class_names": "list|null",
                "max_samples": "int|null",
            },
            tasks=_TASKS,
            splits=None,  # a split selects its annotation file ('{split}' in annotations)
            tags=("video", "files"),
        )
    )
