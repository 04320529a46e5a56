"""The research pages: which page a benchmark writes, the companion tables embedded in the main
page, the trials' wall-time span, the stand-still tracking baseline, and the chat benchmark's plan."""

from __future__ import annotations

import json

import pytest

from sen_core.app.research_pages import (
    companion_sections,
    default_page,
    stand_still,
    stand_still_line,
    trial_span,
)


def test_each_benchmark_writes_its_own_page():
    assert default_page("sen/sweep-research-kubric@1") == "docs/results.md"
    assert default_page("sen/sweep-research@1") == "docs/results-shapes.md"
    assert default_page("sen/sweep-research-chat@1") == "docs/results-chat.md"
    assert default_page("my/sweep-mine@2") == "docs/results-sweep-mine.md"
    assert default_page("sweeps/abl.yaml") == "docs/results-abl.md"


SHAPES_PAGE = """# Research benchmark results: shapes

Regenerate: `sen bench research --out runs/research -j 2` (resumable).

- Settings applied to every trial: train.steps=300.
- Trials: 57 finished, 0 failed; summed trial wall time 4246 s.

| network | seeds | classify/top1 ↑ |
|---|---|---|
| ra-k0 | 3 | 0.802 ± 0.048 |
| ra-k1 | 3 | 0.792 ± 0.036 |

Paired difference against `ra-k0`

| network | classify/top1 ↑ |
|---|---|
| ra-k1 | -0.010 [-0.1, +0.1] |
"""


def test_main_page_embeds_the_companions_first_table_under_a_label(tmp_path):
    page = tmp_path / "results.md"
    assert companion_sections("sen/sweep-research-kubric@1", page) == []  # none beside it yet
    (tmp_path / "results-shapes.md").write_text(SHAPES_PAGE, encoding="utf-8")
    text = "\n".join(companion_sections("sen/sweep-research-kubric@1", page))
    assert "## Second table: the shapes benchmark (`sen/sweep-research@1`" in text
    assert "From [results-shapes.md](results-shapes.md)" in text
    assert "Regenerate: `sen bench research --out runs/research -j 2`" in text
    assert "- Trials: 57 finished" in text and "- Settings applied to every trial" in text
    assert "| ra-k1 | 3 | 0.792 ± 0.036 |" in text
    assert "-0.010 [-0.1, +0.1]" not in text  # only the first table
    assert "Chat" not in text  # results-chat.md is not there
    assert companion_sections("sen/sweep-research@1", tmp_path / "x.md") == []


def test_trial_span_is_first_start_to_last_finish(tmp_path):
    trials = tmp_path / "trials"
    trials.mkdir()
    assert trial_span(tmp_path) is None
    for i, (a, b) in enumerate([(100.0, 160.0), (110.0, 400.5), (300.0, 390.0)]):
        (trials / f"t{i}.json").write_text(json.dumps({"started": a, "finished": b}))
    (trials / "broken.json").write_text("{not json")
    (trials / "running.json").write_text(json.dumps({"started": 50.0}))
    assert trial_span(tmp_path) == pytest.approx(300.5)


def test_stand_still_line_names_the_networks_above_it():
    nets = {
        "ra-k0": {"tracking/AJ": (0.05, 0.01, 5)},
        "ra-k1": {"tracking/AJ": (0.09, 0.01, 5)},
    }
    (line,) = stand_still_line({0: 0.07, 1: 0.09}, nets)
    assert "AJ 0.080 ± 0.014 over the 2 seeds' scored clips" in line
    assert line.endswith("networks above it on mean AJ: `ra-k1`.")
    (line,) = stand_still_line({0: 0.2}, nets)
    assert "AJ 0.200 ± 0.000" in line and "the trackers lose to standing still" in line
    assert stand_still_line({}, nets) == []


def test_stand_still_scores_each_seeds_own_scored_clips():
    """Per seed, the trivial tracker on the clips that seed's trials score (kubric-lite: the seed
    changes the scenes, so the baseline differs); one value per seed, none without tracking."""
    from sen_core.sweep import load_sweep
    from sen_core.sweep.spec import plan_trials

    tiny = [
        "data.params.num_samples=8",
        "data.params.image_size=32",
        "data.params.num_points=8",
        "train.eval_batches=1",
        "train.batch_size=4",
    ]
    loaded = load_sweep("sen/sweep-research-kubric@1")
    spec = loaded.spec.model_copy(update={"overrides": tiny, "seeds": [0, 1]})
    loaded = type(loaded)(spec=spec, name=loaded.name, label=loaded.label, directory=None)
    plan = {
        "trials": [
            {"axes": t.axes, "config": t.config}
            for t in plan_trials(loaded)
            if t.axes["network"] in ("ra-k0", "ra-k1")
        ]
    }
    values = stand_still(plan)
    assert sorted(values) == [0, 1]
    assert all(0.0 <= v <= 1.0 for v in values.values()) and values[0] != values[1]
    no_tracking = json.loads(json.dumps(plan))
    for t in no_tracking["trials"]:
        t["config"]["model"]["heads"] = t["config"]["model"]["heads"][:1]
    assert stand_still(no_tracking) == {}


def test_chat_benchmark_compares_depths_on_the_real_lm():
    """sen/sweep-research-chat@1: K=0 and K=1 on sen/chat-shapes@1, 5 seeds that change init and
    clips, 96 scored clips, exact match first."""
    from sen_core.sweep import load_sweep
    from sen_core.sweep.spec import plan_trials

    loaded = load_sweep("sen/sweep-research-chat@1")
    trials = plan_trials(loaded)
    assert len(trials) == 10 and loaded.spec.metrics[0] == "chat/exact_match"
    for t in trials:
        cfg = t.config
        assert cfg["train"]["seed"] == cfg["data"]["params"]["seed"] == t.axes["seed"]
        assert cfg["train"]["eval_batches"] * cfg["train"]["batch_size"] == 96
        chat = next(h for h in cfg["model"]["heads"] if h["key"] == "chat")
        assert chat["params"]["lm"] == "smollm2-135m-instruct"
    depth = {t.axes["network"]: t.config["model"]["depth"] for t in trials}
    assert depth == {"ra-k0": 0, "ra-k1": 1}
