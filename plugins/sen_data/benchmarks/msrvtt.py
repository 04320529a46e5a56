"""MSR-VTT retrieval in CLIP4Clip's layout: the 1k-A test csv, the 9k / 7k train csv, all captions.

Layout (ArrowLuo/CLIP4Clip ``dataloaders/dataloader_msrvtt_retrieval.py``)::

    root/
      MSRVTT_JSFUSION_test.csv   key,vid_key,video_id,sentence   (1,000 rows: one caption a video)
      MSRVTT_train.9k.csv        video_id                         (or MSRVTT_train.7k.csv)
      MSRVTT_data.json           {"videos": [...], "sentences": [{caption, video_id, sen_id}]}
      MSRVTT_Videos/video7020.mp4   (or videos/all/, videos/: the Frozen-in-Time zip)

Test records carry ``ids = {key, vid_key, video_id}`` and the row's ``caption``; train records
carry ``ids = {video_id}`` and every caption of the video in ``captions`` (ordered by ``sen_id``,
the ids in ``extra["sen_ids"]``), so a sampler can draw one per epoch; ``expand=True`` gives one
record per caption instead (CLIP4Clip's ``--expand_msrvtt_sentences``), ``ids`` then holding
``sen_id``. The split "val" is the 1k-A test csv, as CLIP4Clip validates on it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sen_core.data import Record, Source
from sen_core.errors import InputError

from ._layout import find, need, read_csv, read_json, video_file

TEST_CSV = "MSRVTT_JSFUSION_test.csv"
TRAIN_CSV = {"9k": "MSRVTT_train.9k.csv", "7k": "MSRVTT_train.7k.csv"}
DATA_JSON = "MSRVTT_data.json"
VIDEO_DIRS = ("MSRVTT_Videos", "videos/all", "videos", "TrainValVideo")
SPLITS = ("train", "val", "test")


def videos_dir(root: Path, videos: str | None = None) -> Path:
    return find(root, [videos] if videos else VIDEO_DIRS, "MSR-VTT video folder", is_dir=True)


def read_msrvtt(
    root: str | Path,
    split: str,
    *,
    train_size: str = "9k",
    expand: bool = False,
    videos: str | None = None,
) -> list[Record]:
    """Records of an MSR-VTT split (see the module doc); every video file must exist."""
    root = Path(root)
    if split not in SPLITS:
        raise InputError(f"MSR-VTT: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if train_size not in TRAIN_CSV:
        raise InputError(f"MSR-VTT: train_size must be 9k or 7k; got {train_size!r}")
    vdir = videos_dir(root, videos)
    if split in ("val", "test"):
        return _test(root / TEST_CSV, vdir)
    return _train(root / TRAIN_CSV[train_size], root / DATA_JSON, vdir, expand)


def _test(csv_path: Path, vdir: Path) -> list[Record]:
    rows = read_csv(csv_path, ("key", "vid_key", "video_id", "sentence"))
    out, seen = [], set()
    for n, row in enumerate(rows, start=2):
        where = f"{csv_path}: line {n} (video_id {row['video_id']!r})"
        if row["video_id"] in seen:
            raise InputError(f"{where}: video listed twice (1k-A holds one caption a video)")
        seen.add(row["video_id"])
        path = video_file(vdir / f"{row['video_id']}.mp4", where)
        ids = {"key": row["key"], "vid_key": row["vid_key"], "video_id": row["video_id"]}
        out.append(Record(ids=ids, source=Source(path=path), caption=row["sentence"]))
    if not out:
        raise InputError(f"{csv_path}: no rows")
    return out


def _captions(json_path: Path) -> dict[str, list[tuple[int, str]]]:
    data = read_json(json_path)
    need(data, ("sentences",), str(json_path))
    sentences = data["sentences"]
    if not isinstance(sentences, list):
        raise InputError(
            f"{json_path}: 'sentences' must be a list of {{caption, video_id, sen_id}}"
        )
    by_video: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, s in enumerate(sentences):
        need(s, ("caption", "video_id", "sen_id"), f"{json_path}: sentences[{i}]")
        if not isinstance(s["sen_id"], int) or not isinstance(s["caption"], str):
            raise InputError(
                f"{json_path}: sentences[{i}]: expected an integer sen_id and a string caption"
            )
        by_video[str(s["video_id"])].append((s["sen_id"], s["caption"]))
    return by_video


def _train(csv_path: Path, json_path: Path, vdir: Path, expand: bool) -> list[Record]:
    rows = read_csv(csv_path, ("video_id",))
    by_video = _captions(json_path)
    out = []
    for n, row in enumerate(rows, start=2):
        vid = row["video_id"]
        where = f"{csv_path}: line {n} (video_id {vid!r})"
        caps = sorted(by_video.get(vid, ()))
        if not caps:
            raise InputError(f"{where}: no caption of this video in {json_path}")
        src = Source(path=video_file(vdir / f"{vid}.mp4", where))
        if expand:
            out += [
                Record(ids={"video_id": vid, "sen_id": i}, source=src, caption=c) for i, c in caps
            ]
        else:
            texts = tuple(c for _, c in caps)
            out.append(
                Record(
                    ids={"video_id": vid},
                    source=src,
                    caption=texts[0],
                    captions=texts,
                    extra={"sen_ids": tuple(i for i, _ in caps)},
                )
            )
    if not out:
        raise InputError(f"{csv_path}: no rows")
    return out
