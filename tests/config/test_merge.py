"""Merge rules: maps merge, lists replace, _delete_ replaces a map; origins follow the keys."""

from sen_core.config._merge import Origins, merge, origin_of


def test_maps_merge_key_by_key():
    """Keys missing from the upper layer keep the lower layer's values, nested maps too."""
    origins: Origins = {}
    out = merge(
        {"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}}, origin="top.yaml", origins=origins
    )
    assert out == {"a": {"x": 1, "y": 3}, "b": 1}


def test_lists_replace():
    """A list in the upper layer replaces the lower list whole (no element-wise merge)."""
    out = merge({"l": [1, 2, 3]}, {"l": [9]}, origin="top.yaml", origins={})
    assert out == {"l": [9]}


def test_delete_marker_replaces_the_map():
    """_delete_: true drops the inherited keys of that map; the marker itself disappears."""
    out = merge(
        {"p": {"a": 1, "b": 2}}, {"p": {"_delete_": True, "c": 3}}, origin="top.yaml", origins={}
    )
    assert out == {"p": {"c": 3}}


def test_inputs_are_not_modified():
    """merge returns a new structure; both layers stay as they were."""
    base, over = {"a": {"x": 1}}, {"a": {"y": 2}}
    merge(base, over, origin="t", origins={})
    assert base == {"a": {"x": 1}} and over == {"a": {"y": 2}}


def test_origins_name_the_layer_that_set_each_key():
    """After merging, each key's origin is the last layer that set it; list items follow the list."""
    origins: Origins = {}
    out = merge({}, {"a": {"x": 1, "l": [1, 2]}}, origin="base.yaml", origins=origins)
    out = merge(out, {"a": {"x": 5}}, origin="child.yaml", origins=origins)
    assert origin_of(("a", "x"), origins, "?") == "child.yaml"
    assert origin_of(("a", "l", 1), origins, "?") == "base.yaml"
    assert origin_of(("a", "new", "deep"), origins, "?") == "base.yaml"
