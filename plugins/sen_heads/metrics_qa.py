"""Video QA metric: exact-match accuracy of generated answers after SQuAD normalisation.

Answers are compared as the official SQuAD v1.1 evaluation script's ``normalize_answer`` does
(lower case, no punctuation, no articles, single spaces), the convention of open-ended video QA.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from typing import Any

from sen_core.errors import InputError
from sen_core.network import Meter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower case, drop ASCII punctuation, then the words a/an/the,
    then collapse whitespace ("The U.S.A.!" -> "usa")."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def exact_match(preds: Sequence[str], answers: Sequence[str]) -> float:
    """Fraction of predictions equal to their answer after ``normalize_answer``."""
    if not answers:
        return 0.0
    return sum(
        normalize_answer(p) == normalize_answer(a) for p, a in zip(preds, answers, strict=True)
    ) / len(answers)


class ExactMatchMeter(Meter):
    """Decodes generated token ids (preds['answer_ids']) and counts exact matches with batch['answer']."""

    state = ("hits", "total")

    def __init__(self, decode: Callable[[Any], list[str]]) -> None:
        self.decode = decode
        self.hits = 0
        self.total = 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        if "answer_ids" not in preds:
            raise InputError(
                "preds['answer_ids'] is missing: sen/qa-lm@1 generates answers only in eval mode"
            )
        texts = self.decode(preds["answer_ids"])
        answers = list(batch["answer"])
        self.hits += sum(
            normalize_answer(p) == normalize_answer(a) for p, a in zip(texts, answers, strict=True)
        )
        self.total += len(answers)

    def compute(self) -> dict[str, float]:
        return {"exact_match": self.hits / self.total if self.total else 0.0}
