"""Hook implementations of `sen_data` (entry point group `sen`): the first-party datasets.

Registers specs only (no torch, no numpy at import); the factories live in ``sen_data.shapes``,
``sen_data.kubric_lite`` and ``sen_data.video_folder`` and are imported when a dataset is built.
"""

from __future__ import annotations

from sen_core.hookspecs import hookimpl
from sen_core.specs import DatasetSpec

_TASKS = ("classification", "retrieval", "qa", "moments", "tracking")
_TAPVID = (
    ("davis", "DAVIS (pickle)"),
    ("rgb_stacking", "RGB-Stacking (pickle)"),
    ("kinetics", "Kinetics (JPEG shards)"),
    ("kubric", "Kubric (.npz exports, given queries)"),
)


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
            name="sen/kubric-lite@1",
            summary="Procedural TAP-Vid-Kubric-like clips: photo-textured objects, moving camera, "
            "occlusion, 64+ exact point tracks; captions, QA, moments (shape x motion classes)",
            factory="sen_data.kubric_lite:kubric_lite_dataset",
            params={
                "num_samples": 512,
                "frames": 8,
                "image_size": 64,
                "num_objects": 3,
                "num_points": 64,
                "fps": 8.0,
                "seed": 0,
            },
            param_types={
                "shapes": "list",
                "motions": "list",
                "appearances": "list",
                "camera_pan": "float",
                "camera_zoom": "float",
            },
            tasks=_TASKS,
            tags=("synthetic", "video", "tracking"),
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
    for variant, what in _TAPVID:
        register(
            DatasetSpec(
                name=f"sen/tapvid-{variant.replace('_', '-')}-data@1",
                summary=f"TAP-Vid-{what} in its official layout: every frame, 256x256 without crop, first/strided queries",
                factory="sen_data.benchmarks.tapvid:tapvid_dataset",
                params={
                    "variant": variant,
                    "query_mode": "given" if variant == "kubric" else "strided",
                },
                param_types={
                    "root": "str",
                    "files": "str|null",
                    "query_stride": "int",
                    "image_size": "int",
                    "stride": "int",
                    "max_samples": "int|null",
                },
                tasks=("tracking",),
                # Kubric exports: a split is a folder ({split}/*.npz, e.g. train / validation)
                splits=None if variant == "kubric" else ("train", "val", "test"),
                tags=("video", "files", "benchmark"),
            )
        )
    register(
        DatasetSpec(
            name="sen/qvhighlights-data@1",
            summary="QVHighlights jsonl + videos in the official layout: exact-second windows, graded saliency of 3 annotators per 2-s clip",
            factory="sen_data.benchmarks.qvhighlights:qvhighlights_dataset",
            params={"frames": 32, "image_size": 224},
            param_types={
                "root": "str",
                "annotations": "str",
                "videos": "str",
                "max_samples": "int|null",
            },
            tasks=("moments",),
            tags=("video", "files", "benchmark"),
        )
    )
    _register_benchmarks(register)


_BENCH = "sen_data.benchmarks.factories"
_FILES = {"root": "str", "videos": "str|null", "max_samples": "int|null"}


def _register_benchmarks(register) -> None:
    """MSR-VTT, Kinetics, SSv2, MSVD-QA and MSRVTT-QA in their official layouts (docs/benchmarks/)."""
    common = {"frames": 8, "image_size": 224, "seed": 0}
    for name, summary, factory, params, tasks in (
        (
            "sen/msrvtt-data@1",
            "MSR-VTT retrieval in CLIP4Clip's layout: 1k-A test csv, 9k/7k train, 20 captions a video",
            "msrvtt_dataset",
            {"train_size": "9k", "caption": "random"},
            ("retrieval",),
        ),
        (
            "sen/kinetics-data@1",
            "Kinetics-400/600/700: DeepMind csv + trimmed clips, MMAction2 class index, clips x crops test views",
            "kinetics_dataset",
            {"frames": 16, "clips": 5, "crops": 3, "missing": "skip"},
            ("classification",),
        ),
        (
            "sen/ssv2-data@1",
            "Something-Something-v2: json + labels json (template -> class index), .webm videos, test views",
            "ssv2_dataset",
            {"frames": 16, "clips": 1, "crops": 3},
            ("classification",),
        ),
        (
            "sen/msvd-qa-data@1",
            "MSVD-QA: {split}_qa.json + youtube_mapping.txt + YouTubeClips/, train answer vocabulary",
            "videoqa_dataset",
            {"bench": "msvd-qa"},
            ("qa", "classification"),
        ),
        (
            "sen/msrvtt-qa-data@1",
            "MSRVTT-QA: {split}_qa.json + video/video<N>.mp4, train answer vocabulary",
            "videoqa_dataset",
            {"bench": "msrvtt-qa"},
            ("qa", "classification"),
        ),
    ):
        register(
            DatasetSpec(
                name=name,
                summary=summary,
                factory=f"{_BENCH}:{factory}",
                params={**common, **params},
                param_types={**_FILES, **({"top_k": "int|null"} if "bench" in params else {})},
                tasks=tasks,
                tags=("video", "files", "benchmark"),
            )
        )
