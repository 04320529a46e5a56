"""Top-k accuracy against hand-computed values."""

from __future__ import annotations

import torch

from sen_heads.metrics_classify import TopKMeter, topk_accuracy


def test_topk_hand_values():
    """top1/top5 on three samples and six classes, checked by hand."""
    logits = torch.tensor(
        [
            [0.9, 0.1, 0.0, 0.0, 0.0, 0.0],  # label 0: top1 hit
            [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],  # label 1: rank 5 -> top5 hit only
            [0.6, 0.5, 0.4, 0.3, 0.2, 0.1],  # label 5: rank 6 -> miss
        ]
    )
    assert topk_accuracy(logits, torch.tensor([0, 1, 5])) == {"top1": 1 / 3, "top5": 2 / 3}


def test_top5_capped_at_num_classes():
    """With three classes top-5 is top-3: every sample counts."""
    logits = torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    assert topk_accuracy(logits, torch.tensor([0, 2])) == {"top1": 0.0, "top5": 1.0}


def test_meter_two_batches_equal_one():
    """Accumulating two batches gives the metrics of the concatenated batch."""
    g = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(10, 7, generator=g), torch.randint(0, 7, (10,), generator=g)
    m = TopKMeter()
    m.update({"logits": logits[:4]}, {"label": labels[:4]})
    m.update({"logits": logits[4:]}, {"label": labels[4:]})
    whole = TopKMeter()
    whole.update({"logits": logits}, {"label": labels})
    assert m.compute() == whole.compute() == topk_accuracy(logits, labels)
