"""Validation errors: every problem at once, each naming the file, the key path and what was expected."""

import pytest

from sen_core.config import load_run_config
from sen_core.errors import ConfigError


def _problems(path, catalogue, overrides=()):
    with pytest.raises(ConfigError) as err:
        load_run_config(str(path), list(overrides), catalogue=catalogue)
    return err.value.problems


def test_wrong_type_names_file_and_key(write, base_yaml, catalogue):
    """A string where an int belongs."""
    child = write("child.yaml", "_base_: base.yaml\nmodel: {depth: three}\n")
    assert _problems(child.name, catalogue) == [
        "child.yaml: model.depth: Input should be a valid integer (got 'three')"
    ]


def test_unknown_key_suggests_a_field(write, base_yaml, catalogue):
    """A misspelt key gets a did-you-mean over the fields of its model; else the list of fields."""
    child = write(
        "child.yaml",
        "_base_: base.yaml\nmodel: {dpeth: 2}\ntrain: {stesp: 5, learning_rate: 0.1}\n",
    )
    problems = _problems(child.name, catalogue)
    assert problems[:2] == [
        "child.yaml: model.dpeth: unknown key 'dpeth'; did you mean 'depth'?",
        "child.yaml: train.stesp: unknown key 'stesp'; did you mean 'steps'?",
    ]
    assert problems[2].startswith(
        "child.yaml: train.learning_rate: unknown key 'learning_rate'; TrainSpec keys are: steps, batch_size, lr,"
    )


def test_unknown_key_inside_list_items(write, catalogue):
    """Keys of list items (neurons) are checked against NeuronEntry's fields."""
    cfg = write(
        "c.yaml",
        """\
        model:
          neurons: [{name: sen/fake-image@1, key: frames, input: frames, trainabel: all}]
          anchor: frames
        """,
    )
    assert _problems(cfg.name, catalogue) == [
        "c.yaml: model.neurons.0.trainabel: unknown key 'trainabel'; did you mean 'trainable'?"
    ]


def test_unknown_component_names_suggest(write, base_yaml, catalogue):
    """Neuron, block, head and dataset names are looked up in the catalogue, with suggestions."""
    child = write(
        "child.yaml",
        """\
        _base_: base.yaml
        model:
          block: sen/ra-cros@1
          heads: [{name: sen/classify-linaer@1}]
        data: {name: sen/shape@1}
        """,
    )
    assert _problems(child.name, catalogue, ["model.neurons.1.name=sen/fake-txt@1"]) == [
        "override 'model.neurons.1.name=sen/fake-txt@1': model.neurons.1.name: unknown encoder component "
        "'sen/fake-txt@1'; did you mean 'sen/fake-text@1' or 'sen/fake-image@1'?",
        "child.yaml: model.block: unknown block component 'sen/ra-cros@1'; did you mean 'sen/ra-cross@1'?",
        "child.yaml: model.heads.0.name: unknown head component 'sen/classify-linaer@1'; "
        "did you mean 'sen/classify-linear@1'?",
        "child.yaml: data.name: unknown dataset component 'sen/shape@1'; did you mean 'sen/shapes@1'?",
    ]


def test_every_problem_at_once(write, base_yaml, catalogue):
    """Type errors, unknown keys, a bad anchor and unknown names come in one ConfigError."""
    child = write(
        "child.yaml",
        """\
        _base_: base.yaml
        model: {depth: -1, anchor: frame, extra: 1, block: nope/x@1}
        train: {steps: many}
        """,
    )
    problems = _problems(child.name, catalogue)
    assert len(problems) == 5
    assert (
        problems[0]
        == "child.yaml: model.depth: Input should be greater than or equal to 0 (got -1)"
    )
    assert (
        "child.yaml: model.anchor: anchor 'frame' is not the key of a neuron; the keys are 'frames', "
        "'caption' (did you mean 'frames'?)" in problems
    )
    assert any(
        p.startswith("child.yaml: model.block: unknown block component 'nope/x@1'")
        for p in problems
    )


def test_model_level_rule_is_reported(write, base_yaml, catalogue):
    """Cross-field rules (width divisible by heads) name every file that set keys of that map."""
    child = write("child.yaml", "_base_: base.yaml\nmodel: {width: 66, attn_heads: 4}\n")
    assert _problems(child.name, catalogue) == [
        "base.yaml + child.yaml: model: width 66 must be divisible by attn_heads 4"
    ]


def test_yaml_syntax_and_top_level_shape(write, catalogue):
    """Broken YAML gives the line; a list at the top level is refused."""
    write("bad.yaml", "model: {depth: 2\n")
    write("list.yaml", "- 1\n- 2\n")
    assert _problems("bad.yaml", catalogue)[0].startswith(
        "bad.yaml: invalid YAML at line 2, column 1:"
    )
    assert _problems("list.yaml", catalogue) == [
        "list.yaml: the top level must be a mapping of keys, got list"
    ]


def test_rules_across_keys_despite_unknown_keys(write, base_yaml, catalogue):
    """An unknown key does not hide a cross-key rule of the same model: both are reported."""
    child = write("child.yaml", "_base_: base.yaml\nmodel: {dpeth: 2, width: 66}\n")
    assert _problems(child.name, catalogue) == [
        "child.yaml: model.dpeth: unknown key 'dpeth'; did you mean 'depth'?",
        "base.yaml + child.yaml: model: width 66 must be divisible by attn_heads 4",
    ]
