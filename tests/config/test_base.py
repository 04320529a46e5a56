"""_base_ inheritance: relative paths, lists of bases, preset names, cycles and missing files."""

import pytest

from sen_core.catalogue import Catalogue
from sen_core.config import load_config_dict, load_run_config
from sen_core.errors import ConfigError
from sen_core.specs import PresetSpec


def test_relative_base_is_resolved_from_the_child(write, base_yaml, catalogue):
    """A relative _base_ is read from the child's folder; the child's keys win."""
    child = write("sub/child.yaml", "_base_: ../base.yaml\nmodel: {depth: 1}\n")
    cfg = load_run_config(str(child), catalogue=catalogue)
    assert (cfg.model.depth, cfg.model.width, cfg.train.steps) == (1, 64, 10)


def test_list_of_bases_merge_in_order(write, base_yaml, catalogue):
    """With _base_: [a, b], b overrides a and the file overrides both."""
    write("a.yaml", "train: {steps: 1, lr: 0.5}\n")
    write("b.yaml", "train: {steps: 2}\n")
    child = write("child.yaml", "_base_: [base.yaml, a.yaml, b.yaml]\ntrain: {batch_size: 3}\n")
    cfg = load_run_config(str(child), catalogue=catalogue)
    assert (cfg.train.steps, cfg.train.lr, cfg.train.batch_size) == (2, 0.5, 3)


def test_lists_replace_through_bases(write, base_yaml, catalogue):
    """A child listing neurons replaces the whole neuron list of its base."""
    child = write(
        "child.yaml",
        """\
        _base_: base.yaml
        model:
          neurons: [{name: sen/fake-image@1, key: frames, input: frames}]
        """,
    )
    cfg = load_run_config(str(child), catalogue=catalogue)
    assert [n.id for n in cfg.model.neurons] == ["frames"]
    assert cfg.model.neurons[0].params == {}


def test_preset_name_as_base(write, base_yaml, catalogue):
    """_base_ may name a registered preset; its file is found through the PresetSpec resource."""
    cat = Catalogue()
    for spec in catalogue.list():
        cat.add(spec)
    cat.add(
        PresetSpec(
            name="test/base@1",
            summary="a base",
            preset_kind="run",
            resource=f"sen_registry:{base_yaml}",
        )
    )
    child = write("child.yaml", "_base_: test/base@1\nmodel: {depth: 2}\n")
    cfg = load_run_config(str(child), catalogue=cat)
    assert (cfg.model.depth, cfg.model.width) == (2, 64)


def test_unknown_preset_base_suggests(write, catalogue):
    """An unknown preset name in _base_ is a problem with a did-you-mean from the catalogue."""
    cat = Catalogue()
    cat.add(
        PresetSpec(
            name="test/base@1", summary="a base", preset_kind="run", resource="sen_registry:x.yaml"
        )
    )
    child = write("child.yaml", "_base_: test/bsae@1\n")
    with pytest.raises(ConfigError) as err:
        load_config_dict(str(child), catalogue=cat)
    assert err.value.problems == [
        "child.yaml: _base_: unknown preset component 'test/bsae@1'; did you mean 'test/base@1'?"
    ]


def test_base_cycle_shows_the_chain(write, monkeypatch, tmp_path, catalogue):
    """a -> b -> c -> a is reported once, with the whole chain."""
    monkeypatch.chdir(tmp_path)
    write("a.yaml", "_base_: b.yaml\n")
    write("b.yaml", "_base_: c.yaml\n")
    write("c.yaml", "_base_: a.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_config_dict("a.yaml", catalogue=catalogue)
    assert err.value.problems == ["c.yaml: _base_ cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"]


def test_missing_base_and_missing_file(write, monkeypatch, tmp_path, catalogue):
    """A missing _base_ names the child; a missing top-level file names itself."""
    monkeypatch.chdir(tmp_path)
    write("child.yaml", "_base_: [gone.yaml]\n")
    with pytest.raises(ConfigError) as err:
        load_config_dict("child.yaml", catalogue=catalogue)
    assert err.value.problems == ["child.yaml: _base_: file not found: gone.yaml"]
    with pytest.raises(ConfigError) as err:
        load_run_config("nothing.yaml", catalogue=catalogue)
    assert err.value.problems == [f"nothing.yaml: file not found ({'nothing.yaml'})"]


def test_meta_is_not_part_of_the_config(write, base_yaml, catalogue):
    """_meta_ (preset name and summary) is dropped from the resolved data."""
    child = write("child.yaml", "_base_: base.yaml\n_meta_: {name: x/y@1, summary: s}\n")
    assert "_meta_" not in load_config_dict(str(child), catalogue=catalogue)
