"""MSVD-QA and MSRVTT-QA (Xu et al. 2017) in their released json layout.

Layout (salesforce/LAVIS ``dataset_card/msvd_qa.md``, ``msrvtt_qa.md``; the original release)::

    msvd-qa/                                   msrvtt-qa/
      {train,val,test}_qa.json                   {train,val,test}_qa.json
          [{question, answer, id, video_id}]          [{question, answer, id, video_id, category_id}]
      youtube_mapping.txt  "<clip name> vid<N>"  video/video<N>.mp4   (or videos/, videos/all/)
      YouTubeClips/<clip name>.avi (or video/)

Records carry ``ids = {question_id, video_id}``, ``question`` and ``answer``. The answer
vocabulary is fixed once, from the TRAIN answers (most frequent first, ties alphabetical, the
``top_k`` first when given; LAVIS' ``train_ans2label``): ``label`` is the answer's index, None
when the answer is outside it (it then counts as wrong, as in the field's accuracy).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sen_core.data import Record, Source
from sen_core.errors import InputError

from ._layout import find, need, need_list, read_json, video_file

SPLITS = ("train", "val", "test")
BENCHES = ("msvd-qa", "msrvtt-qa")
_VIDEO_DIRS = {
    "msvd-qa": ("YouTubeClips", "video", "videos"),
    "msrvtt-qa": ("video", "videos", "videos/all", "MSRVTT_Videos"),
}
_KEYS = ("question", "answer", "id", "video_id")


def _qa(root: Path, split: str) -> tuple[Path, list[dict]]:
    if split not in SPLITS:
        raise InputError(f"video QA: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    path = find(root, [f"{split}_qa.json"], f"{split}_qa.json")
    items = need_list(read_json(path), path, "{question, answer, id, video_id}")
    for i, item in enumerate(items):
        need(item, _KEYS, f"{path}: entry {i}")
        if not isinstance(item["video_id"], int) or isinstance(item["video_id"], bool):
            raise InputError(f"{path}: entry {i}: video_id {item['video_id']!r} is not an integer")
        if not isinstance(item["id"], (int, str)):
            raise InputError(f"{path}: entry {i}: id {item['id']!r} is not a number or a string")
    return path, items


def qa_answers(root: str | Path, top_k: int | None = None) -> list[str]:
    """The answer vocabulary from the train split: most frequent first, ties alphabetical."""
    _, items = _qa(Path(root), "train")
    counts = Counter(str(item["answer"]) for item in items)
    ranked = sorted(counts, key=lambda a: (-counts[a], a))
    return ranked[:top_k] if top_k else ranked


def _msvd_mapping(root: Path) -> dict[int, str]:
    path = find(root, ["youtube_mapping.txt"], "youtube_mapping.txt (MSVD clip name -> vid<N>)")
    out: dict[int, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("vid") or not parts[1][3:].isdigit():
            raise InputError(f"{path}: line {n}: expected '<clip name> vid<N>'; got {line!r:.80}")
        out[int(parts[1][3:])] = parts[0]
    return out


def read_videoqa(
    root: str | Path,
    split: str,
    *,
    bench: str,
    top_k: int | None = None,
    videos: str | None = None,
) -> list[Record]:
    """Records of a split of ``bench`` ("msvd-qa" or "msrvtt-qa"); every video file must exist."""
    if bench not in BENCHES:
        raise InputError(f"video QA: unknown benchmark {bench!r}; expected {' or '.join(BENCHES)}")
    root = Path(root)
    path, items = _qa(root, split)
    index = {a: i for i, a in enumerate(qa_answers(root, top_k))}
    vdir = find(root, [videos] if videos else _VIDEO_DIRS[bench], f"{bench} videos", is_dir=True)
    mapping = _msvd_mapping(root) if bench == "msvd-qa" else {}
    out, seen = [], set()
    for i, item in enumerate(items):
        where = f"{path}: entry {i} (id {item['id']!r}, video_id {item['video_id']})"
        if item["id"] in seen:
            raise InputError(f"{where}: question id used twice")
        seen.add(item["id"])
        vid = item["video_id"]
        if bench == "msvd-qa":
            if vid not in mapping:
                raise InputError(f"{where}: vid{vid} is not in youtube_mapping.txt")
            name = mapping[vid]
            file = next(
                (vdir / f"{name}{e}" for e in (".avi", ".mp4") if (vdir / f"{name}{e}").is_file()),
                vdir / f"{name}.avi",
            )
        else:
            file = vdir / f"video{vid}.mp4"
        answer = str(item["answer"])
        out.append(
            Record(
                ids={"question_id": item["id"], "video_id": vid},
                source=Source(path=video_file(file, where)),
                question=str(item["question"]),
                answer=answer,
                label=index.get(answer),
            )
        )
    if not out:
        raise InputError(f"{path}: no questions")
    return out
