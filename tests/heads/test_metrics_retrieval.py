"""R@K, median and mean rank on known similarity matrices; the meter ranks the whole set."""

from __future__ import annotations

import pytest
import torch

from sen_heads.metrics_retrieval import RetrievalMeter, retrieval_metrics, retrieval_ranks


def test_ranks_and_recall_on_3x3():
    """Rows are videos, columns captions; ranks worked out by hand."""
    sim = torch.tensor([[0.9, 0.1, 0.5], [0.8, 0.2, 0.3], [0.1, 0.7, 0.6]])
    assert retrieval_ranks(sim).tolist() == [0, 2, 1]  # video -> text, 0-based
    assert retrieval_ranks(sim.t()).tolist() == [0, 1, 0]  # text -> video
    m = retrieval_metrics(sim)
    assert m["v2t_R@1"] == pytest.approx(1 / 3) and m["v2t_R@5"] == 1.0
    assert m["v2t_MdR"] == 2.0 and m["v2t_MnR"] == pytest.approx(2.0)
    assert (
        m["t2v_R@1"] == pytest.approx(2 / 3)
        and m["t2v_MdR"] == 1.0
        and m["t2v_MnR"] == pytest.approx(4 / 3)
    )
    assert m["R@1"] == pytest.approx(0.5) and m["MdR"] == 1.5


def test_recall_at_5_and_10_on_designed_ranks():
    """A 12 x 12 matrix whose diagonal sits at chosen ranks: R@1 2/12, R@5 5/12, R@10 9/12, MdR 7."""
    want = [1, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 12]
    n = len(want)
    sim = torch.zeros(n, n)
    for i, r in enumerate(want):
        others = [j for j in range(n) if j != i]
        for pos, j in enumerate(others):  # off-diagonal values n-1 ... 1 (descending)
            sim[i, j] = float(n - 1 - pos)
        sim[i, i] = float(n - r) + 0.5  # exactly r - 1 values are larger
    assert retrieval_ranks(sim).tolist() == [w - 1 for w in want]
    m = retrieval_metrics(sim)
    assert (m["v2t_R@1"], m["v2t_R@5"], m["v2t_R@10"]) == (2 / 12, 5 / 12, 9 / 12)
    assert m["v2t_MdR"] == 7.0  # numpy median of the even count: mean of 6 and 8


def test_ties_conventions():
    """Two tied items: 'average' shares ranks 0 and 1, 'optimistic' takes 0, 'clip4clip' lists both."""
    sim = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    assert retrieval_ranks(sim).tolist() == [0.5, 0.5]
    assert retrieval_ranks(sim, "optimistic").tolist() == [0, 0]
    assert retrieval_ranks(sim, "clip4clip").tolist() == [0, 1, 0, 1]


def test_meter_keeps_the_whole_set():
    """Two batches rank against all 6 items, exactly like one batch of 6."""
    g = torch.Generator().manual_seed(0)
    v = torch.nn.functional.normalize(torch.randn(6, 8, generator=g), dim=-1)
    t = torch.nn.functional.normalize(v + 0.8 * torch.randn(6, 8, generator=g), dim=-1)
    m = RetrievalMeter()
    m.update({"video_emb": v[:3], "text_emb": t[:3]}, {})
    m.update({"video_emb": v[3:], "text_emb": t[3:]}, {})
    whole = RetrievalMeter()
    whole.update({"video_emb": v, "text_emb": t}, {})
    assert m.compute() == whole.compute() == retrieval_metrics(v @ t.t())
