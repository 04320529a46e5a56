"""Golden values from the field's reference metric code, on the inputs of issue 10 and seeded ones.

The numbers were computed by running the reference functions (not copied here) on these inputs:
- jayleicn/moment_detr@b7e553ac standalone_eval/eval.py: compute_mr_ap, compute_mr_r1,
  compute_hl_hit1, compute_hl_ap (utils.compute_average_precision_detection, get_ap with
  scikit-learn 1.9.1), unrounded;
- google-deepmind/tapnet@c2cbab81 tapnet/tapvid/evaluation_datasets.py compute_tapvid_metrics,
  per video, then the mean over videos that have a number;
- OmniMotion eval_tapvid_davis.py eval_temporal_coherence (as in ys830/ominimotion_plus@52733bca);
- m-bain/frozen-in-time@e1f13e17 model/metric.py t2v_metrics / v2t_metrics;
- ArrowLuo/CLIP4Clip@508ffa3d metrics.py compute_metrics;
- showlab/loveu-tgve-2023@d75589f2 scripts/run_eval.py clip_score_frame / clip_score_text
  (with a stub CLIP returning the embeddings below);
- the official SQuAD v1.1 evaluate script's normalize_answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sen_heads.metrics_editing import frame_consistency_from_embeddings
from sen_heads.metrics_moments import MomentsMeter, moment_metrics
from sen_heads.metrics_qa import normalize_answer
from sen_heads.metrics_retrieval import retrieval_metrics
from sen_heads.metrics_tracking import TrackingMeter, tapvid_metrics, temporal_coherence

TOL = 1e-12


# ---- moments (QVHighlights) -------------------------------------------------------------------
def moment_inputs(seed: int = 0, n: int = 30) -> tuple[list, list, list]:
    """Windows on QVHighlights' 2 s grid of a 150 s clip, 10 scored predictions, 75 clips x 3 annotators."""
    rng = np.random.default_rng(seed)
    preds, gts, sal = [], [], []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        s = 2.0 * rng.integers(0, 70, k)
        e = np.minimum(s + 2.0 * rng.integers(1, 6, k), 150.0)
        gts.append(np.stack([s, e], 1))
        ps = 2.0 * rng.integers(0, 70, 10)
        pe = np.minimum(ps + 2.0 * rng.integers(1, 8, 10), 150.0)
        sc = rng.uniform(size=10)
        order = np.argsort(-sc, kind="stable")
        preds.append((np.stack([ps, pe], 1)[order], sc[order]))
        sal.append((np.round(rng.uniform(size=75), 1), rng.integers(0, 5, (75, 3)).astype(float)))
    return preds, gts, sal


def test_moments_gt_tie_break_issue_case():
    """GT [[0,.5],[.5,1]], predictions [0,1] (0.9) and [0,.5] (0.8): the reference's 1.0 and 0.325."""
    m = moment_metrics(
        [(np.array([[0.0, 1.0], [0.0, 0.5]]), np.array([0.9, 0.8]))],
        [np.array([[0.0, 0.5], [0.5, 1.0]])],
    )
    assert m["mAP@0.5"] == 1.0 and m["mAP"] == pytest.approx(0.325, abs=TOL)
    assert m["mAP@0.75"] == 0.25 and m["R1@0.5"] == 1.0 and m["R1@0.7"] == 0.0


def test_moments_iou_exactly_half_in_seconds():
    """150 s clip, GT [0,6] s, prediction [2,8] s: IoU exactly 0.5, a hit (it misses as fractions)."""
    m = moment_metrics([(np.array([[2.0, 8.0]]), np.array([1.0]))], [np.array([[0.0, 6.0]])])
    assert (m["R1@0.5"], m["mAP@0.5"], m["mAP"]) == (1.0, 1.0, pytest.approx(0.1, abs=TOL))
    frac = moment_metrics(
        [(np.array([[2.0, 8.0]]) / 150, np.array([1.0]))], [np.array([[0.0, 6.0]]) / 150]
    )
    assert frac["R1@0.5"] == 0.0 and frac["mAP"] == 0.0  # the reference agrees on these inputs


def test_moments_seeded_grid_matches_reference():
    """30 seeded queries on the 2 s grid, in seconds."""
    preds, gts, _ = moment_inputs()
    m = moment_metrics(preds, gts)
    assert m["mAP"] == pytest.approx(0.026140432098765425, abs=TOL)
    assert m["mAP@0.5"] == pytest.approx(0.06839726631393298, abs=TOL)
    assert m["mAP@0.75"] == pytest.approx(0.023518518518518515, abs=TOL)
    assert m["R1@0.5"] == pytest.approx(1 / 30, abs=TOL) and m["R1@0.7"] == 0.0


@pytest.mark.parametrize(
    ("threshold", "hit", "hl_map"),
    [
        (2, 0.9666666666666667, 0.6382003736429058),  # HL-min-Fair
        (3, 0.8666666666666667, 0.4430584316228259),  # HL-min-Good
        (4, 0.4666666666666667, 0.238292593067306),  # HL-min-VeryGood
    ],
)
def test_highlights_three_annotators(threshold: int, hit: float, hl_map: float):
    """HIT@1 combines the 3 annotators by max; HL-mAP averages their APs (tied scores included)."""
    preds, gts, sal = moment_inputs()
    m = moment_metrics(preds, gts, sal, hit_threshold=threshold)
    assert m["HIT@1"] == pytest.approx(hit, abs=TOL)
    assert m["HL-mAP"] == pytest.approx(hl_map, abs=TOL)


def test_meter_scales_to_seconds_with_duration():
    """A batch with ``duration`` (seconds) has its windows scaled to seconds before IoU."""
    c, w = 5 / 150, 6 / 150  # the predicted window [2, 8] s as (centre, width) fractions
    preds = {
        "spans": torch.tensor([[[c, w]]], dtype=torch.float64),
        "logits": torch.tensor([[[5.0, -5.0]]]),
        "saliency": torch.zeros(1, 4),
    }
    batch = {"moments": [torch.tensor([[0.0, 6.0]], dtype=torch.float64) / 150]}
    m = MomentsMeter()
    m.update(preds, {**batch, "duration": torch.tensor([150.0])})
    assert m.gts[0].tolist() == [[0.0, 6.0]]
    assert m.preds[0][0].ravel().tolist() == pytest.approx([2.0, 8.0], abs=1e-12)
    assert m.compute() == moment_metrics(m.preds, m.gts, m.saliency)


# ---- tracking (TAP-Vid, TC) -------------------------------------------------------------------
def track_inputs(
    seed: int = 1, b: int = 3, q: int = 6, t: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded 256-scale tracks: (B, Q, 3) queries, (B, Q, T, 2) truth, (B, Q, T) occluded, ..."""
    rng = np.random.default_rng(seed)
    gt = rng.uniform(0, 256, (b, q, t, 2))
    occ = rng.uniform(size=(b, q, t)) < 0.3
    pred = gt + rng.normal(0, 4, (b, q, t, 2))
    pocc = rng.uniform(size=(b, q, t)) < 0.3
    qt = rng.integers(0, t, (b, q)).astype(float)
    qp = np.stack([qt, rng.uniform(0, 256, (b, q)), rng.uniform(0, 256, (b, q))], -1)
    return qp, gt, occ, pred, pocc


def _tap(qp, gt, occ, pred, pocc, mode: str) -> dict[str, float]:
    t = torch.from_numpy
    return tapvid_metrics(t(qp), t(gt), t(~occ), t(pred), t(~pocc), (256, 256), mode)


@pytest.mark.parametrize(
    ("mode", "oa", "delta", "aj"),
    [
        ("strided", 0.6234567901234569, 0.4492857142857143, 0.2512215133723641),
        ("first", 0.5443031430934657, 0.4435185185185185, 0.20971022593682295),
    ],
)
def test_tapvid_seeded_matches_reference(mode: str, oa: float, delta: float, aj: float):
    """Three seeded videos, both query modes; TC is the same in both (it ignores query frames)."""
    m = _tap(*track_inputs(), mode)
    assert m["OA"] == pytest.approx(oa, abs=TOL)
    assert m["delta_avg"] == pytest.approx(delta, abs=TOL)
    assert m["AJ"] == pytest.approx(aj, abs=TOL)
    assert m["TC"] == pytest.approx(12.916266125295136, abs=1e-9)


def test_oa_nan_without_evaluated_points():
    """T = 1 (strided) and every query on the last frame (first): OA, delta and AJ are all NaN."""
    one = np.zeros((1, 2, 1), bool)
    m = _tap(
        np.zeros((1, 2, 3)),
        np.full((1, 2, 1, 2), 10.0),
        one,
        np.full((1, 2, 1, 2), 10.0),
        one,
        "strided",
    )
    assert (
        np.isnan(m["OA"]) and np.isnan(m["delta_avg"]) and np.isnan(m["AJ"]) and np.isnan(m["TC"])
    )
    qp, gt, occ, pred, pocc = (x[:1].copy() for x in track_inputs())
    qp[..., 0] = 9
    m = _tap(qp, gt, occ, pred, pocc, "first")
    assert np.isnan(m["OA"]) and np.isnan(m["AJ"])
    assert m["TC"] == pytest.approx(15.620353500915733, abs=1e-9)


def test_oa_nan_video_is_skipped_in_the_mean():
    """A video without evaluated points does not pull OA towards 0."""
    qp, gt, occ, pred, pocc = (x[:2].copy() for x in track_inputs())
    qp[1, :, 0] = 9
    m = _tap(qp, gt, occ, pred, pocc, "first")
    alone = _tap(qp[:1], gt[:1], occ[:1], pred[:1], pocc[:1], "first")
    assert m["OA"] == alone["OA"]


def test_all_occluded_video_scores_jaccard_zero():
    """Video 1 has every point occluded, some predicted visible: Jaccard 0, in the mean (0.1248)."""
    qp, gt, occ, pred, pocc = (x[:2].copy() for x in track_inputs())
    occ[1] = True
    m = _tap(qp, gt, occ, pred, pocc, "strided")
    assert m["AJ"] == pytest.approx(0.12482758620689656, abs=TOL)
    assert m["OA"] == pytest.approx(0.4814814814814815, abs=TOL)
    assert m["delta_avg"] == pytest.approx(0.4238095238095238, abs=TOL)  # video 1 has no delta


def test_tc_perfect_prediction_of_an_accelerating_track_is_zero():
    """x = t^2: TC 0 (as OmniMotion), while the predicted acceleration stays 2 px per frame^2."""
    t = np.arange(6.0)
    track = np.stack([t**2, 2 * t], -1)[None]  # (1, 6, 2)
    assert temporal_coherence(track, track, np.ones((1, 6), bool)) == 0.0
    m = TrackingMeter()
    logits = torch.full((1, 1, 6), 10.0)
    tr = torch.from_numpy(track)[None]
    m.update(
        {"tracks": tr, "visible_logits": logits, "frame_size": torch.tensor([256, 256])},
        {
            "tracks": tr,
            "visible": torch.ones(1, 1, 6, dtype=torch.bool),
            "query_points": torch.zeros(1, 1, 3),
        },
    )
    out = m.compute()
    assert out["TC"] == 0.0 and out["pred_accel"] == 2.0


# ---- retrieval ----------------------------------------------------------------------------------
ISSUE_SIM = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    ("ties", "v2t_r1"),
    [("optimistic", 1.0), ("average", 2 / 3), ("clip4clip", 0.75)],
)
def test_retrieval_ties_issue_case(ties: str, v2t_r1: float):
    """sim [[1,1,0],[0,1,0],[0,0,1]]: v2t R@1 1.0 optimistic, 0.667 Frozen (average), 0.75 CLIP4Clip."""
    assert retrieval_metrics(ISSUE_SIM, ties=ties)["v2t_R@1"] == pytest.approx(v2t_r1, abs=TOL)


@pytest.mark.parametrize(
    ("ties", "r1", "mdr"),
    [("optimistic", 1.0, 1.0), ("average", 0.0, 2.0), ("clip4clip", 1 / 3, 2.0)],
)
def test_retrieval_all_zero_matrix(ties: str, r1: float, mdr: float):
    """A collapsed model (all similarities equal) no longer scores R@1 = 1 by default."""
    m = retrieval_metrics(torch.zeros(3, 3), ties=ties)
    assert m["v2t_R@1"] == pytest.approx(r1, abs=TOL) and m["t2v_MdR"] == mdr


# (R1, R5, R10, MdR, MnR) as fractions, from the reference on a seeded 12 x 12 integer matrix
TIED = {
    ("optimistic", "t2v"): (0.25, 5 / 12, 11 / 12, 8.0, 6.0),  # Frozen t2v_metrics
    ("optimistic", "v2t"): (0.25, 5 / 12, 10 / 12, 6.5, 6.166666666666667),
    ("average", "v2t"): (1 / 12, 4 / 12, 0.75, 7.75, 7.25),  # Frozen v2t_metrics
    ("average", "t2v"): (0.0, 5 / 12, 11 / 12, 9.25, 7.375),
    ("clip4clip", "t2v"): (1 / 15, 0.4, 0.8, 8.0, 7.0),  # CLIP4Clip compute_metrics
    ("clip4clip", "v2t"): (3 / 38, 11 / 38, 31 / 38, 7.5, 7.184210526315789),
}


@pytest.mark.parametrize(("ties", "side"), list(TIED))
def test_retrieval_seeded_ties_match_reference(ties: str, side: str):
    """Integer similarities 0-3 (many ties): each convention equals its reference function."""
    sim = torch.from_numpy(np.random.default_rng(2).integers(0, 4, (12, 12)).astype(float))
    m = retrieval_metrics(sim, ties=ties)
    got = tuple(m[f"{side}_{k}"] for k in ("R@1", "R@5", "R@10", "MdR", "MnR"))
    assert got == pytest.approx(TIED[ties, side], abs=TOL)


@pytest.mark.parametrize("ties", ["optimistic", "average", "clip4clip"])
def test_retrieval_without_ties_all_conventions_agree(ties: str):
    """Continuous similarities: every convention gives the references' common numbers."""
    rng = np.random.default_rng(2)
    rng.integers(0, 4, (12, 12))  # the tied matrix above comes first from this seed
    sim = torch.from_numpy(rng.normal(size=(12, 12)))
    m = retrieval_metrics(sim, ties=ties)
    assert (m["t2v_R@1"], m["t2v_MdR"], m["t2v_MnR"]) == pytest.approx((2 / 12, 4.0, 5.25), abs=TOL)
    assert (m["v2t_R@1"], m["v2t_MdR"], m["v2t_MnR"]) == pytest.approx(
        (1 / 12, 4.5, 5.083333333333333), abs=TOL
    )


# ---- editing (LOVEU-TGVE) and QA (SQuAD) --------------------------------------------------------
def test_frame_consistency_all_pairs_issue_case():
    """[e_x, e_y, e_x]: 0.333 over all pairs (LOVEU), 0.0 over consecutive pairs."""
    ex, ey = torch.eye(4)[0], torch.eye(4)[1]
    f = torch.stack([ex, ey, ex])
    assert frame_consistency_from_embeddings(f) == pytest.approx(1 / 3, abs=TOL)
    assert frame_consistency_from_embeddings(f, "consecutive") == 0.0


def test_frame_consistency_seeded_matches_loveu():
    """Two seeded videos of 5 frames: LOVEU's clip_score_frame averaged over videos."""
    f = torch.from_numpy(np.random.default_rng(3).normal(size=(2, 5, 8)))
    assert frame_consistency_from_embeddings(f) == pytest.approx(-0.02183543210782188, abs=1e-12)


def test_frame_consistency_clamped_and_single_frame():
    """Clamping drops negative cosines; one frame has no pair (NaN)."""
    f = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]])
    assert frame_consistency_from_embeddings(f, "consecutive") == 0.0  # (-1 + 1) / 2
    assert frame_consistency_from_embeddings(f, "consecutive_clamped") == 0.5  # (0 + 1) / 2
    assert np.isnan(frame_consistency_from_embeddings(f[:1]))


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  an apple! ", "apple"),
        ("U.S.A.", "usa"),
        ("a", ""),
        ("the cat's hat", "cats hat"),
        ("Theatre", "theatre"),
        ("atheist", "atheist"),
    ],
)
def test_squad_normalize_answer(text: str, normalised: str):
    """Outputs of the official SQuAD v1.1 normalize_answer."""
    assert normalize_answer(text) == normalised
