"""Something-Something-v2 from its json annotations and its ``.webm`` videos.

Layout (open-mmlab/mmaction2 ``tools/data/parse_file_list.py``, ``parse_sthv2_splits``)::

    root/
      something-something-v2-{train,validation,test}.json   [{id, label, template, placeholders}]
      something-something-v2-labels.json                   {template without brackets: "index"}
          (or both under labels/ or annotations/)
      20bn-something-something-v2/{id}.webm                  (or videos/)

The class index is the field's: the entry's ``template`` with its brackets removed, looked up in
the labels json (``label`` fills the placeholders in and is not a class name). The test json has
ids only. Records carry ``ids = {id}``.
"""

from __future__ import annotations

from pathlib import Path

from sen_core.data import Record, Source
from sen_core.errors import InputError

from ._layout import find, need, need_list, read_json, video_file

_FILES = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}
_DIRS = ("", "labels/", "annotations/")
VIDEO_DIRS = ("20bn-something-something-v2", "videos")


def _annotation(root: Path, stem: str) -> Path:
    name = f"something-something-v2-{stem}.json"
    return find(root, [d + name for d in _DIRS], f"SSv2 {name}")


def ssv2_classes(root: str | Path) -> list[str]:
    """The templates (without brackets) in class-index order, from the labels json."""
    path = _annotation(Path(root), "labels")
    data = read_json(path)
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: expected an object template -> class index")
    by_index: dict[int, str] = {}
    for template, idx in data.items():
        try:
            i = int(idx)
        except (TypeError, ValueError):
            raise InputError(f"{path}: {template!r}: index {idx!r} is not an integer") from None
        if i in by_index:
            raise InputError(f"{path}: {template!r}: index {i} also names {by_index[i]!r}")
        by_index[i] = template
    if sorted(by_index) != list(range(len(by_index))):
        raise InputError(f"{path}: indices must be 0..{len(by_index) - 1} with none missing")
    return [by_index[i] for i in range(len(by_index))]


def template_key(template: str) -> str:
    return template.replace("[", "").replace("]", "")


def read_ssv2(root: str | Path, split: str, *, videos: str | None = None) -> list[Record]:
    """Records of an SSv2 split: ``ids = {id}``, ``label`` (None on test)."""
    root = Path(root)
    if split not in _FILES:
        raise InputError(f"SSv2: unknown split {split!r}; expected one of {', '.join(_FILES)}")
    index = {t: i for i, t in enumerate(ssv2_classes(root))}
    path = _annotation(root, _FILES[split])
    items = need_list(read_json(path), path, "{id, label, template, placeholders}")
    vdir = find(root, [videos] if videos else VIDEO_DIRS, "SSv2 video folder", is_dir=True)
    out = []
    for i, item in enumerate(items):
        where = f"{path}: entry {i}"
        need(item, ("id",) if split == "test" else ("id", "template"), where)
        vid = str(item["id"])
        where = f"{where} (id {vid!r})"
        label = None
        if split != "test":
            key = template_key(str(item["template"]))
            if key not in index:
                raise InputError(f"{where}: template {key!r} is not in the labels json")
            label = index[key]
        src = Source(path=video_file(vdir / f"{Path(vid).name}.webm", where))
        out.append(Record(ids={"id": vid}, source=src, label=label))
    if not out:
        raise InputError(f"{path}: no entries")
    return out
