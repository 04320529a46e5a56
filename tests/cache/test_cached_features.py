"""cached_features: cached step-0 tokens equal the computed ones; only misses are encoded."""

import torch

from sen_core.network.step0 import cached_features


def test_frames_exactly_equal_and_second_call_hits(cache, net, batch_of):
    """Frame tokens from the cache are bit-identical to encode_step0; a repeat encodes nothing."""
    batch = batch_of([0, 1, 2, 3])
    direct = net.encode_step0("frames", batch)
    first = cached_features(cache, net, batch)
    second = cached_features(cache, net, batch)
    for got in (first["frames"], second["frames"]):
        assert torch.equal(got.x, direct.x) and got.mask is None and got.layout == direct.layout
    assert net.calls["frames"] == 1 + 1 and cache.hits == 4 + 4 + 3  # frames, captions, class names


def test_text_is_unpadded_and_repadded(cache, net, batch_of):
    """Variable-length text: valid tokens equal, masks equal, padding zero, length = longest sample."""
    batch = batch_of(
        [0, 1, 2, 3], captions=["one", "two words", "three words here", "four words are here"]
    )
    direct = net.encode_step0("caption", batch)
    cached_features(cache, net, batch)
    got = cached_features(cache, net, batch)["caption"]
    assert got.x.shape == direct.x.shape == (4, 4, 8)
    assert got.mask is not None and direct.mask is not None
    assert torch.equal(got.mask, direct.mask)
    assert torch.equal(got.x[got.mask], direct.x[direct.mask])
    assert torch.equal(got.x[~got.mask], torch.zeros_like(got.x[~got.mask]))
    assert got.layout.kind == "sequence" and got.layout.tokens_per_frame == 4


def test_repadding_follows_the_batch(cache, net, batch_of):
    """Short captions cached from a long batch come back padded only to their own longest."""
    cached_features(cache, net, batch_of([0, 1], captions=["a b c d e", "a"]))
    got = cached_features(cache, net, batch_of([1], captions=["a"]))["caption"]
    assert got.x.shape == (1, 1, 8) and got.mask.tolist() == [[True]]


def test_only_misses_are_encoded(cache, net, batch_of):
    """After samples 0-3, a batch of 2-5 encodes a sub-batch of the two new samples only."""
    cached_features(cache, net, batch_of([0, 1, 2, 3]))
    net.sizes.clear()
    batch = batch_of([2, 3, 4, 5])
    out = cached_features(cache, net, batch)
    assert ("frames", 2) in net.sizes and ("caption", 2) in net.sizes
    assert ("classes", 3) not in net.sizes  # class names were all cached
    assert torch.equal(out["frames"].x, net.encode_step0("frames", batch).x)


def test_duplicate_samples_encode_once(cache, net, batch_of):
    """The same clip twice in a batch is encoded once and returned twice."""
    batch = batch_of([7, 7, 8])
    out = cached_features(cache, net, batch)
    assert ("frames", 2) in net.sizes
    assert torch.equal(out["frames"].x[0], out["frames"].x[1])
    assert torch.equal(out["frames"].x, net.encode_step0("frames", batch).x)


def test_class_names_are_cached_per_name(cache, net, batch_of):
    """Class-name tokens are per name (C, L, D), equal on valid tokens to a direct encoding."""
    batch = batch_of([0])
    cached_features(cache, net, batch)
    got = cached_features(cache, net, batch)["classes"]
    direct = net.encode_step0("classes", batch)
    assert got.x.shape[0] == 3 and torch.equal(got.x[got.mask], direct.x[direct.mask])


def test_uncacheable_neurons_are_left_out(tmp_path, spec, batch_of):
    """Neurons whose encoder trains, or whose cache id is None, are not in the result."""
    from _cache_fakes import FakeNet

    from sen_core.neuron.cache import FeatureCache

    spec2 = spec.model_copy(
        update={
            "neurons": [spec.neurons[0].model_copy(update={"trainable": "all"}), *spec.neurons[1:]]
        }
    )
    net = FakeNet(spec2)
    net.cache_ids["classes"] = None
    out = cached_features(FeatureCache(tmp_path / "c"), net, batch_of([0, 1]))
    assert set(out) == {"caption"}


def test_no_cache_encodes_directly(net, batch_of):
    """cache=None returns encode_step0 of the whole batch for every cacheable neuron."""
    batch = batch_of([0, 1])
    out = cached_features(None, net, batch, keys=["frames"])
    assert set(out) == {"frames"} and torch.equal(
        out["frames"].x, net.encode_step0("frames", batch).x
    )
