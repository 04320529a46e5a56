"""Every first-party head is registered with its task, needs and metrics; params are checked."""

from __future__ import annotations

import pytest
from _heads_fixtures import build_head

from sen_core.catalogue import get_catalogue
from sen_core.errors import ConfigError

NAMES = (
    "sen/classify-linear@1",
    "sen/classify-zeroshot@1",
    "sen/retrieval@1",
    "sen/moments@1",
    "sen/tracking@1",
    "sen/qa-lm@1",
    "sen/edit-cond@1",
)


def test_all_heads_in_catalogue():
    """The entry point registers all seven heads with what they need from the network."""
    cat = get_catalogue()
    specs = {n: cat.get(n, kind="head") for n in NAMES}
    assert specs["sen/classify-zeroshot@1"].needs == ("class_names",)
    assert specs["sen/retrieval@1"].needs == ("text",)
    assert specs["sen/tracking@1"].needs == ("spatial",)
    assert specs["sen/qa-lm@1"].needs == ("lm",)
    assert specs["sen/moments@1"].metrics[:4] == ("R1@0.5", "R1@0.7", "mAP", "mAP@0.5")
    assert {s.provenance.plugin for s in specs.values()} == {"heads"}


def test_unknown_param_suggests():
    """A misspelt parameter is a ConfigError naming the head and the closest parameter."""
    with pytest.raises(ConfigError) as e:
        build_head("sen/moments@1", num_querys=4)
    assert str(e.value).startswith(
        "invalid params for head 'sen/moments@1': params.num_querys: unknown parameter of head "
        "'sen/moments@1'; did you mean 'num_queries'? (it takes: "
    )


def test_linear_needs_num_classes():
    """The linear classifier cannot guess its class count."""
    with pytest.raises(ConfigError, match=r"needs params.num_classes"):
        build_head("sen/classify-linear@1")
