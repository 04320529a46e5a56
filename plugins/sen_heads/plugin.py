"""Hook implementations of `sen_heads` (entry point group `sen`): the first-party task heads.

Only specs here; each factory lives in its own module and imports torch when a head is built.
Head parameters and metric definitions: docs/tasks.md.
"""

from __future__ import annotations

from sen_core.hookspecs import hookimpl
from sen_core.specs import HeadSpec

from ._defaults import PARAMS

_MOMENT_METRICS = ("R1@0.5", "R1@0.7", "mAP", "mAP@0.5", "mAP@0.75", "HIT@1", "HL-mAP")
_RETRIEVAL_METRICS = (
    "R@1",
    "R@5",
    "R@10",
    "MdR",
    "t2v_R@1",
    "t2v_R@5",
    "t2v_R@10",
    "t2v_MdR",
    "t2v_MnR",
    "v2t_R@1",
    "v2t_R@5",
    "v2t_R@10",
    "v2t_MdR",
    "v2t_MnR",
)
_TRACKING_METRICS = ("AJ", "delta_avg", "OA", "TC")

HEADS = (
    HeadSpec(
        name="sen/classify-linear@1",
        summary="Linear classifier on the pooled state; cross-entropy; top-1/top-5",
        factory="sen_heads.classify:build_linear",
        task="recognition",
        metrics=("top1", "top5"),
        params=PARAMS["sen/classify-linear@1"],
    ),
    HeadSpec(
        name="sen/classify-zeroshot@1",
        summary="Zero-shot classifier: cosine of the pooled state to class-name text features, learned temperature",
        factory="sen_heads.classify:build_zeroshot",
        task="recognition",
        needs=("class_names",),
        metrics=("top1", "top5"),
        params=PARAMS["sen/classify-zeroshot@1"],
    ),
    HeadSpec(
        name="sen/retrieval@1",
        summary="Video-text retrieval: symmetric InfoNCE of pooled state vs caption; R@1/5/10, median rank",
        factory="sen_heads.retrieval:build",
        task="retrieval",
        needs=("text",),
        metrics=_RETRIEVAL_METRICS,
        params=PARAMS["sen/retrieval@1"],
    ),
    HeadSpec(
        name="sen/moments@1",
        summary="Moment retrieval + highlights: DETR queries over frames, Hungarian matching; R1@0.5/0.7, mAP, HIT@1, HL-mAP",
        factory="sen_heads.moments:build",
        task="moments",
        needs=("frames",),
        metrics=_MOMENT_METRICS,
        params=PARAMS["sen/moments@1"],
    ),
    HeadSpec(
        name="sen/tracking@1",
        summary="Point tracking: query features correlated with every frame's anchor grid; TAP-Vid AJ, delta_avg, OA; TC",
        factory="sen_heads.tracking:build",
        task="tracking",
        needs=("spatial",),
        metrics=_TRACKING_METRICS,
        params=PARAMS["sen/tracking@1"],
    ),
    HeadSpec(
        name="sen/qa-lm@1",
        summary="Video QA / chat: the state as a soft prompt for a transformers causal LM; exact-match accuracy",
        factory="sen_heads.qa_lm:build",
        task="qa",
        needs=("lm",),
        metrics=("exact_match",),
        params=PARAMS["sen/qa-lm@1"],
    ),
    HeadSpec(
        name="sen/edit-cond@1",
        summary="Editing: per-frame conditioning tokens for a diffusers UNet's cross-attention (extra sen[edit])",
        factory="sen_heads.edit_cond:build",
        task="editing",
        needs=("frames",),
        metrics=("denoise_mse",),
        params=PARAMS["sen/edit-cond@1"],
    ),
)


@hookimpl
def sen_heads(register) -> None:
    for spec in HEADS:
        register(spec)
