"""Dotted command-line overrides: YAML scalar rules, list indices, clear errors."""

import pytest

from sen_core.config import load_config_dict, load_run_config
from sen_core.config._overrides import parse_override
from sen_core.errors import ConfigError


@pytest.mark.parametrize(
    "text, value",
    [
        ("train.lr=1e-4", 1e-4),
        ("model.depth=2", 2),
        ("a=true", True),
        ("a=null", None),
        ("a=[1, 2]", [1, 2]),
        ("a={k: v}", {"k": "v"}),
        ("a=hello", "hello"),
        ("a=", ""),
        ("a=-2.5E3", -2500.0),
        ("a=sen/ra-gated@1", "sen/ra-gated@1"),
    ],
)
def test_values_follow_yaml_scalar_rules(text, value):
    """The right-hand side is YAML, with 1e-4 read as a float (YAML 1.2)."""
    assert parse_override(text)[1] == value


def test_overrides_apply_after_bases(base_yaml, catalogue):
    """Overrides set nested keys, list items by index, and create new map keys."""
    cfg = load_run_config(
        str(base_yaml),
        [
            "model.depth=1",
            "train.lr=1e-4",
            "model.neurons.0.params.image_size=64",
            "data.params.frames=4",
        ],
        catalogue=catalogue,
    )
    assert cfg.model.depth == 1
    assert cfg.train.lr == 1e-4
    assert cfg.model.neurons[0].params == {"image_size": 64}
    assert cfg.data.params == {"frames": 4}


def test_pair_overrides_take_python_values(base_yaml, catalogue):
    """(key, value) pairs set values without YAML parsing (used by sweeps)."""
    neurons = [{"name": "sen/fake-image@1", "key": "frames", "input": "frames"}]
    cfg = load_run_config(str(base_yaml), [("model.neurons", neurons)], catalogue=catalogue)
    assert [n.id for n in cfg.model.neurons] == ["frames"]


def test_bad_overrides_are_reported_together(base_yaml, catalogue):
    """A malformed override, an index out of range and indexing a list by name: three problems."""
    with pytest.raises(ConfigError) as err:
        load_config_dict(
            str(base_yaml),
            ["model.depth", "model.neurons.5.key=x", "model.neurons.key=x"],
            catalogue=catalogue,
        )
    assert err.value.problems == [
        "override 'model.depth' must look like key.path=value (e.g. model.depth=2)",
        "override 'model.neurons.5.key=x': index 5 is out of range: 'model.neurons' has 2 items",
        "override 'model.neurons.key=x': 'model.neurons' is a list; use an index such as model.neurons.0 instead of 'key'",
    ]


def test_override_errors_name_the_override(base_yaml, catalogue):
    """A wrong value given on the command line is attributed to that override, not to the file."""
    with pytest.raises(ConfigError) as err:
        load_run_config(str(base_yaml), ["model.depth=deep"], catalogue=catalogue)
    assert err.value.problems == [
        "override 'model.depth=deep': model.depth: Input should be a valid integer (got 'deep')"
    ]
