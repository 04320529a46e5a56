"""Sweep files: grid, zip, named choices, random samples and seeds expand into trials with config-hash ids."""

import pytest

from sen_core.config import load_run_config
from sen_core.errors import ConfigError
from sen_core.sweep import expand, load_sweep, plan_trials


def test_grid_times_seeds(sweep_file):
    """3 depths x 2 widths x 2 seeds = 12 trials; seeds are innermost; axes recorded for tables."""
    trials = plan_trials(load_sweep(str(sweep_file())))
    assert len(trials) == 12
    assert [t.axes for t in trials[:3]] == [
        {"model.depth": 0, "model.width": 64, "seed": 0},
        {"model.depth": 0, "model.width": 64, "seed": 1},
        {"model.depth": 0, "model.width": 128, "seed": 0},
    ]


def test_trial_id_is_the_config_hash(sweep_file):
    """A trial's id equals the hash of the config it resolves to (so reruns find it)."""
    trial = plan_trials(load_sweep(str(sweep_file())))[5]
    cfg = load_run_config("run.yaml", ["model.depth=1", "model.width=64", "train.seed=1"])
    assert trial.axes == {"model.depth": 1, "model.width": 64, "seed": 1}
    assert trial.id == cfg.hash()
    assert trial.config == cfg.model_dump(mode="json")


def test_zip_named_and_random_axes(sweep_file):
    """zip groups vary together; named choices set several keys; random samples are reproducible."""
    text = """\
        base: run.yaml
        trial: _sweep_fakes:fake_trial
        axes:
          variant:
            small: {model.width: 32, model.attn_heads: 2}
            large: {model.width: 128, model.attn_heads: 4}
        zip:
          - {model.depth: [1, 2], train.steps: [5, 10]}
        random:
          samples: 3
          seed: 7
          axes:
            train.lr: {low: 1.0e-4, high: 1.0e-2, log: true}
            model.prompt_tokens: [2, 4, 8]     # a bare list is short for choices
        seeds: [0]
        """
    sweep = load_sweep(str(sweep_file(text=text)))
    trials = plan_trials(sweep)
    assert len(trials) == 2 * 2 * 3
    assert sweep.axis_names() == [
        "variant",
        "model.depth",
        "train.steps",
        "train.lr",
        "model.prompt_tokens",
        "seed",
    ]
    first = trials[0]
    assert first.axes["variant"] == "small"
    assert (first.config["model"]["width"], first.config["model"]["attn_heads"]) == (32, 2)
    zipped = {(t.config["model"]["depth"], t.config["train"]["steps"]) for t in trials}
    assert zipped == {(1, 5), (2, 10)}
    lrs = [t.axes["train.lr"] for t in trials[:3]]
    assert lrs == [
        t.axes["train.lr"] for t in plan_trials(load_sweep(str(sweep_file(text=text))))[:3]
    ]
    assert all(1e-4 <= lr <= 1e-2 for lr in lrs) and len(set(lrs)) == 3


def test_duplicate_configs_are_planned_once(sweep_file):
    """Two axis values resolving to the same config give one trial."""
    text = "base: run.yaml\naxes: {model.depth: [1, 1, 2]}\n"
    assert len(plan_trials(load_sweep(str(sweep_file(text=text))))) == 2


def test_expand_without_axes_is_the_seeds(sweep_file):
    """A sweep with only seeds has one trial per seed."""
    sweep = load_sweep(str(sweep_file(text="base: run.yaml\nseeds: [3, 4, 5]\n")))
    assert [t.axes for t in expand(sweep.spec)] == [{"seed": 3}, {"seed": 4}, {"seed": 5}]


def test_bad_sweep_file_lists_problems(sweep_file):
    """Unknown keys, an uneven zip group and a bad range are reported together with the file name."""
    text = """\
        base: run.yaml
        axis: {model.depth: [1]}
        zip: [{model.depth: [1, 2], model.width: [64]}]
        random: {samples: 2, axes: {train.lr: {low: 1.0, high: 0.1}}}
        """
    with pytest.raises(ConfigError) as err:
        load_sweep(str(sweep_file(text=text)))
    assert sorted(err.value.problems) == [
        "sweep.yaml: axis: unknown key 'axis'; did you mean 'axes'?",
        "sweep.yaml: random.axes.train.lr: low 1.0 is above high 0.1",
        "sweep.yaml: zip: zip group 0: every key needs the same non-zero number of values, "
        "got {'model.depth': 2, 'model.width': 1}",
    ]


def test_bad_axis_key_names_the_trial(sweep_file):
    """An axis over a key the config does not have fails before anything runs, naming the trial."""
    with pytest.raises(ConfigError) as err:
        plan_trials(load_sweep(str(sweep_file(text="base: run.yaml\naxes: {model.dpeth: [1]}\n"))))
    assert err.value.problems == [
        "trial (model.dpeth=1, seed=0): override model.dpeth=1: model.dpeth: unknown key 'dpeth'; "
        "did you mean 'depth'?"
    ]


def test_sweep_presets_need_sweep_kind(sweep_file):
    """A run preset is not a sweep."""
    with pytest.raises(ConfigError, match="is a run preset, expected a sweep config"):
        load_sweep("sen/demo@1")
