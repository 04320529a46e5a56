"""Gradient accumulation: accumulate=2 with batch b gives the same weights as batch 2b."""

import torch


def test_accumulate_matches_bigger_batch(run_train, fk):
    """6 steps (crossing an epoch) of 2 x 4 samples equal 6 steps of 8 samples, to float tolerance."""
    _, small, _ = run_train("acc", net=fk.FakeNet(linear=True), steps=6, batch_size=4, accumulate=2)
    _, big, _ = run_train("big", net=fk.FakeNet(linear=True), steps=6, batch_size=8, accumulate=1)
    a, b = fk.trainable(small), fk.trainable(big)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
    assert not torch.equal(small.proj.weight, fk.FakeNet(linear=True).proj.weight)  # it did train
