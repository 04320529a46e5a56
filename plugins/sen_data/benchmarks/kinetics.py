"""Kinetics-400 / 600 / 700 from the DeepMind csv files and a folder of trimmed clips.

Layout (open-mmlab/mmaction2 ``tools/data/parse_file_list.py``, ``parse_kinetics_splits``)::

    root/
      train.csv  validate.csv  test.csv      (or annotations/kinetics_{train,val,test}.csv)
          label,youtube_id,time_start,time_end,split   (test.csv may lack the label column)
      videos_train/{label}/{youtube_id}_{start:06d}_{end:06d}.mp4   (or train/, videos/;
      videos_val/...                                                   flat, without {label}/)

The label folder may keep the label's spaces or use underscores (mmaction2's
``rename_classnames.sh``). The class index is MMAction2's: labels with quotes removed and spaces
made underscores, sorted, taken from the TRAIN csv for every split, so the indices agree across
splits; ``class_names`` keep the readable label. YouTube takes videos down, so every copy of
Kinetics misses some clips: ``missing="skip"`` leaves them out (the caller reports the count).
"""

from __future__ import annotations

from pathlib import Path

from sen_core.data import Record, Source
from sen_core.errors import InputError

from ._layout import find, read_csv

_CSV = {
    "train": ("train.csv", "kinetics_train.csv", "annotations/kinetics_train.csv"),
    "val": ("validate.csv", "val.csv", "kinetics_val.csv", "annotations/kinetics_val.csv"),
    "test": ("test.csv", "kinetics_test.csv", "annotations/kinetics_test.csv"),
}
_VIDEOS = {
    "train": ("videos_train", "train", "videos"),
    "val": ("videos_val", "val", "validate", "videos"),
    "test": ("videos_test", "test", "videos"),
}
COLUMNS = ("youtube_id", "time_start", "time_end")


def class_key(label: str) -> str:
    """MMAction2's formal label: quotes removed, spaces made underscores (its sort key and folder)."""
    return label.replace('"', "").replace(" ", "_")


def clip_name(youtube_id: str, start: float, end: float) -> str:
    return f"{youtube_id}_{int(start):06d}_{int(end):06d}.mp4"


def annotation_file(root: Path, split: str) -> Path:
    if split not in _CSV:
        raise InputError(f"Kinetics: unknown split {split!r}; expected one of {', '.join(_CSV)}")
    return find(root, _CSV[split], f"Kinetics {split} csv")


def kinetics_classes(root: str | Path) -> list[str]:
    """The readable label names in class-index order (MMAction2's sorted formal labels)."""
    path = annotation_file(Path(root), "train")
    rows = read_csv(path, ("label", *COLUMNS))
    by_key = {class_key(r["label"]): r["label"].replace('"', "") for r in rows}
    if not by_key:
        raise InputError(f"{path}: no rows; the class vocabulary is read from the train csv")
    return [by_key[k] for k in sorted(by_key)]


def _seconds(value: str, where: str, column: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise InputError(f"{where}: {column} {value!r} is not a number of seconds") from None
    if not t >= 0:
        raise InputError(f"{where}: {column} {value!r} must be >= 0")
    return t


def read_kinetics(
    root: str | Path,
    split: str,
    *,
    videos: str | None = None,
    missing: str = "error",
) -> list[Record]:
    """Records of a Kinetics split: ``ids = {youtube_id, time_start, time_end}``, ``label``.

    ``missing``: "error" (a clip not on disk is an InputError naming the csv line) or "skip".
    """
    if missing not in ("error", "skip"):
        raise InputError(f"Kinetics: missing must be 'error' or 'skip'; got {missing!r}")
    root = Path(root)
    path = annotation_file(root, split)
    classes = kinetics_classes(root)
    index = {class_key(c): i for i, c in enumerate(classes)}
    rows = read_csv(path, COLUMNS)
    vdir = find(
        root, [videos] if videos else _VIDEOS[split], f"Kinetics {split} videos", is_dir=True
    )
    out = []
    for n, row in enumerate(rows, start=2):
        where = f"{path}: line {n} (youtube_id {row['youtube_id']!r})"
        start = _seconds(row["time_start"], where, "time_start")
        end = _seconds(row["time_end"], where, "time_end")
        name = clip_name(row["youtube_id"], start, end)
        label, folders = None, [vdir / name]
        if row.get("label"):
            key = class_key(row["label"])
            if key not in index:
                raise InputError(
                    f"{where}: label {row['label']!r} is not a class of the train csv "
                    f"({len(index)} classes)"
                )
            label = index[key]
            folders = [vdir / key / name, vdir / row["label"].replace('"', "") / name, vdir / name]
        clip = next((p for p in folders if p.is_file()), None)
        if clip is None:
            if missing == "skip":
                continue
            raise InputError(f"{where}: clip not found (looked for {', '.join(map(str, folders))})")
        ids = {"youtube_id": row["youtube_id"], "time_start": int(start), "time_end": int(end)}
        out.append(Record(ids=ids, source=Source(path=clip), label=label))
    if not out:
        raise InputError(f"{path}: no clip of this split found under {vdir}")
    return out
