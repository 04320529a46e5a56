"""Prediction writers of the scoring tasks: retrieval similarity matrices, class scores, QA answers.

Registered into ``sen_core.train.writers.WRITERS`` when this module is imported; ``predict``
takes ``WRITERS`` from here, so every writer is registered. Layouts (docs/benchmarks/):

- ``retrieval`` -> ``.npz`` (MSR-VTT, CLIP4Clip's ``compute_metrics`` input): ``sim_matrix``
  (N_text, N_video) float32 cosine similarities, text rows x video columns, sample i's caption
  and video on the diagonal; ``text_ids`` (N,) (the csv ``key`` on 1k-A, else ``sen_id``, else
  the video id), ``video_ids`` (N,), ``captions`` (N,). ``compute_metrics(sim_matrix)`` is
  ``sen eval``'s ``t2v_*`` (x 100), ``compute_metrics(sim_matrix.T)`` its ``v2t_*``. The
  embeddings are spooled to an anonymous temporary file while streaming; the N x N product is
  formed at ``close`` (N^2 float32: 4 MB at 1k, 400 MB at 10k).
- ``recognition`` -> ``.npz`` (class scores, MMAction2's ``top_k_accuracy(list(scores),
  labels)``): ``scores`` (N_video, C) float32, the softmax of a video's test views averaged
  (``sen eval``'s ``TopKMeter``: MMAction2's ``average_clips='prob'``), ``video_ids`` (N,),
  ``class_names`` (C,) (the dataset's names; a column beyond them is named by its index) and, on
  labelled splits, ``labels`` (N,) int64. Rows are spooled to a
  temporary file and copied into the zip in chunks.
- ``recognition`` -> ``.jsonl`` (answers): one line per video or question, ``{**ids, question,
  answer, pred}`` on video QA (``pred`` the top answer: exact match ``pred == answer`` over the
  lines is ``sen eval``'s top-1), ``{**ids, label, pred}`` (class names) on classification.
- ``qa`` (``sen/qa-lm@1``) -> ``.jsonl``: ``{**ids, question, answer, pred}`` with ``pred`` the
  generated text; exact match after SQuAD normalisation over the lines is ``sen eval``'s
  ``exact_match``.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
import torch

from sen_core.errors import InputError
from sen_core.train.writers import WRITERS, PredictionWriter, register_writer

__all__ = [
    "WRITERS",
    "AnswersWriter",
    "ClassScoresWriter",
    "RecognitionWriter",
    "RetrievalWriter",
]


def final_suffix(path: Path) -> str:
    """The suffix of the file ``predict`` renames ``path`` to (``.NAME.part`` -> NAME's suffix)."""
    name = path.name
    if name.startswith(".") and name.endswith(".part"):
        name = name[1:-5]
    return Path(name).suffix


def video_key(ids: dict[str, Any]) -> str:
    """A sample's video id as one string (Kinetics: MMAction2's ``{youtube_id}_{start:06d}_{end:06d}``)."""
    if "video_id" in ids:
        return str(_plain(ids["video_id"]))
    if {"youtube_id", "time_start", "time_end"} <= set(ids):
        s, e = (int(_plain(ids[k])) for k in ("time_start", "time_end"))
        return f"{ids['youtube_id']}_{s:06d}_{e:06d}"
    for key in ("id", "video", "vid"):
        if key in ids:
            return str(_plain(ids[key]))
    return "_".join(str(_plain(v)) for v in ids.values())


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


class _Rows:
    """Float32 rows spooled to an anonymous temporary file (gone when closed, or on a crash)."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=".sen-rows-", dir=folder)
        os.unlink(name)  # anonymous from here on: nothing is left behind, even on a crash
        self._f: IO[bytes] = os.fdopen(fd, "w+b")
        self.n, self.width = 0, -1

    def add(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        if self.width < 0:
            self.width = rows.shape[1]
        self._f.write(rows.tobytes())
        self.n += rows.shape[0]

    def array(self) -> np.ndarray:
        """The rows as a read-only memory map (zero rows: an empty array)."""
        self._f.flush()
        if self.n == 0:
            return np.zeros((0, max(self.width, 0)), np.float32)
        return np.memmap(self._f, dtype=np.float32, mode="r", shape=(self.n, self.width))

    def close(self) -> None:
        self._f.close()


class _NpzOut:
    """Arrays streamed one by one into an uncompressed ``.npz`` (np.load reads it)."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def put(self, name: str, arr: np.ndarray) -> None:
        with self._zip.open(name + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, arr, allow_pickle=False)

    def close(self) -> None:
        self._zip.close()


def _names(names: list[str], n: int) -> list[str]:
    """``n`` column names: the dataset's class names, then the indices of any columns beyond them."""
    return list(names[:n]) + [str(c) for c in range(len(names), n)]


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


@register_writer("retrieval")
class RetrievalWriter(PredictionWriter):
    """The text x video similarity matrix of the whole split (CLIP4Clip's ``compute_metrics``)."""

    suffix = ".npz"

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._video, self._text = _Rows(path.parent), _Rows(path.parent)
        self.text_ids: list[str] = []
        self.video_ids: list[str] = []
        self.captions: list[str] = []
        self._closed = False

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Spool one batch of normalised embeddings and its ids.

        Args:
            preds: ``video_emb`` (B, E), ``text_emb`` (B, E); batch: ids and captions.
        """
        self._video.add(preds["video_emb"].detach().float().cpu().numpy())
        self._text.add(preds["text_emb"].detach().float().cpu().numpy())
        text_input = str(getattr(self.head, "text_input", "caption"))
        texts = batch.get(text_input) or [""] * len(batch["ids"])
        for ids, text in zip(batch["ids"], texts, strict=True):
            tid = next((ids[k] for k in ("key", "sen_id") if k in ids), None)
            self.text_ids.append(str(_plain(tid)) if tid is not None else video_key(ids))
            self.video_ids.append(video_key(ids))
            self.captions.append(str(text))
            self.count += 1

    def close(self) -> None:
        """Form the matrix (as the retrieval meter does: video x text, then transposed) and write."""
        if self._closed:
            return
        self._closed = True
        try:
            v = torch.from_numpy(np.array(self._video.array()))
            t = torch.from_numpy(np.array(self._text.array()))
            sim = (v @ t.t()).numpy().T if len(v) else np.zeros((0, 0), np.float32)
            out = _NpzOut(self.path)
            try:
                out.put("sim_matrix", sim)  # (N_text, N_video), written column-major: no copy
                out.put("text_ids", _strings(self.text_ids))
                out.put("video_ids", _strings(self.video_ids))
                out.put("captions", _strings(self.captions))
            finally:
                out.close()
        finally:
            self._video.close()
            self._text.close()


class _Views:
    """Consecutive test views of one video -> one row of averaged softmax probabilities.

    ``sen eval``'s ``TopKMeter`` (``average_views``) arithmetic: the views' softmax summed in order
    with ``index_add_`` and divided by their count. A batch without ``view`` is one view a sample.
    """

    def __init__(self) -> None:
        self._key: Any = None
        self._rows: list[torch.Tensor] = []
        self._sample: dict[str, Any] = {}
        self._done: set[Any] = set()

    def add(
        self, logits: torch.Tensor, batch: dict[str, Any]
    ) -> list[tuple[dict[str, Any], np.ndarray]]:
        probs = logits.detach().float().cpu().softmax(-1)
        out = []
        views = "view" in batch
        labels = batch.get("label")
        for i, ids in enumerate(batch["ids"]):
            key = tuple(sorted((k, str(_plain(v))) for k, v in ids.items())) if views else None
            if key is None or key != self._key:
                out += self.flush()
                if key is not None and key in self._done:
                    raise InputError(
                        f"the test views of video {video_key(ids)} are not consecutive"
                    )
                self._key = key
                self._sample = {"ids": {k: _plain(v) for k, v in ids.items()}}
                for field in ("question", "answer"):
                    if batch.get(field) is not None:
                        self._sample[field] = batch[field][i]
                if labels is not None:
                    self._sample["label"] = int(torch.as_tensor(labels).reshape(-1)[i])
            self._rows.append(probs[i])
        if not views:
            out += self.flush()
        return out

    def flush(self) -> list[tuple[dict[str, Any], np.ndarray]]:
        if not self._rows:
            return []
        probs = torch.stack(self._rows)
        index = torch.zeros(len(probs), dtype=torch.long)
        mean = torch.zeros(1, probs.shape[-1]).index_add_(0, index, probs) / len(probs)
        if self._key is not None:
            self._done.add(self._key)
        self._rows, self._key = [], None
        return [(self._sample, mean[0].numpy())]


class ClassScoresWriter(PredictionWriter):
    """Per-video class scores (views averaged) in one ``.npz`` for MMAction2's accuracy functions."""

    suffix = ".npz"

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._views, self._rows = _Views(), _Rows(path.parent)
        self.video_ids: list[str] = []
        self.labels: list[int | None] = []
        self.class_names: list[str] = []
        self._closed = False

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Add one batch of views; finished videos are spooled.

        Args:
            preds: ``logits`` (B, C); batch: ids, ``view`` (multi-view), ``label``, class names.
        """
        self.class_names = self.class_names or list(batch.get("class_names") or [])
        self._put(self._views.add(preds["logits"], batch))

    def _put(self, done: list[tuple[dict[str, Any], np.ndarray]]) -> None:
        for sample, probs in done:
            self._rows.add(probs[None])
            self.video_ids.append(video_key(sample["ids"]))
            self.labels.append(sample.get("label"))
            self.count += 1

    def close(self) -> None:
        """Write ``scores``, ``video_ids``, ``class_names`` and, when every video has one, ``labels``."""
        if self._closed:
            return
        self._closed = True
        try:
            self._put(self._views.flush())
            scores = self._rows.array()
            names = _names(self.class_names, scores.shape[1])
            out = _NpzOut(self.path)
            try:
                out.put("scores", scores)
                out.put("video_ids", _strings(self.video_ids))
                out.put("class_names", _strings(names))
                if self.labels and all(y is not None for y in self.labels):
                    out.put("labels", np.array(self.labels, dtype=np.int64))
            finally:
                out.close()
        finally:
            self._rows.close()


class AnswersWriter(PredictionWriter):
    """One json line per video / question: its ids, question and answer, the top class as ``pred``."""

    suffix = ".jsonl"

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._views = _Views()
        self._f: IO[str] = path.open("w", encoding="utf-8")
        self.class_names: list[str] = []

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Write the lines of the videos / questions this batch finishes.

        Args:
            preds: ``logits`` (B, C); batch: ids, question, answer, label, class names.
        """
        self.class_names = self.class_names or list(batch.get("class_names") or [])
        self._put(self._views.add(preds["logits"], batch))

    def _name(self, c: int) -> str:
        return self.class_names[c] if c < len(self.class_names) else str(c)

    def _put(self, done: list[tuple[dict[str, Any], np.ndarray]]) -> None:
        for sample, probs in done:
            line = dict(sample["ids"])
            if "question" in sample or "answer" in sample:
                line.update({k: sample[k] for k in ("question", "answer") if k in sample})
            elif sample.get("label") is not None:
                line["label"] = self._name(sample["label"])
            line["pred"] = self._name(int(np.argmax(probs)))
            self._f.write(json.dumps(line) + "\n")
            self.count += 1

    def close(self) -> None:
        """Write the last video's line and close the file."""
        if self._f.closed:
            return
        try:
            self._put(self._views.flush())
        finally:
            self._f.close()


@register_writer("recognition")
class RecognitionWriter(PredictionWriter):
    """``.npz``: ``ClassScoresWriter``; ``.jsonl``: ``AnswersWriter`` (chosen by the file's suffix)."""

    suffix = ""  # either of FORMATS; checked here
    FORMATS: ClassVar[dict[str, type[PredictionWriter]]] = {
        ".npz": ClassScoresWriter,
        ".jsonl": AnswersWriter,
    }

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        fmt = final_suffix(path)
        if fmt not in self.FORMATS:
            raise InputError(
                f"{path.parent / path.name.removeprefix('.').removesuffix('.part')}: recognition "
                "predictions are written as .npz (class scores) or .jsonl (answers); "
                f"got {fmt or 'no suffix'!r}"
            )
        self._impl = self.FORMATS[fmt](path, head)

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Forward to the chosen layout.

        Args:
            preds: the head's predictions; batch: the batch.
        """
        self._impl.write(preds, batch)
        self.count = self._impl.count

    def close(self) -> None:
        """Finish the chosen layout."""
        self._impl.close()
        self.count = self._impl.count


@register_writer("qa")
class GeneratedAnswersWriter(PredictionWriter):
    """A generative QA head's answers, one json line per question (its ``decode`` gives the text)."""

    suffix = ".jsonl"

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._f: IO[str] = path.open("w", encoding="utf-8")

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Write one line per question.

        Args:
            preds: ``answer_ids`` (B, L) generated tokens; batch: ids, question, answer (if any).
        """
        if "answer_ids" not in preds:
            raise InputError(
                "the qa head generated no answers (preds['answer_ids']); set its "
                "generate_in_eval: true to predict"
            )
        texts = self.head.decode(preds["answer_ids"])
        for i, ids in enumerate(batch["ids"]):
            line = {k: _plain(v) for k, v in ids.items()}
            for field in ("question", "answer"):
                if batch.get(field) is not None:
                    line[field] = batch[field][i]
            line["pred"] = texts[i]
            self._f.write(json.dumps(line) + "\n")
            self.count += 1

    def close(self) -> None:
        """Close the file."""
        self._f.close()
