"""Every registered preset resolves against the installed catalogue, and so do its header examples."""

import json
import re
from pathlib import Path

import pytest

from sen_core.catalogue import get_catalogue
from sen_core.config import load_run_config, preset_source
from sen_core.sweep import load_sweep, plan_trials

PRESETS = {s.name: s.preset_kind for s in get_catalogue().list("presets")}
_OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=\S+$")


def test_required_presets_are_registered():
    """The presets other parts of SEN refer to by name exist with the right kind."""
    assert {
        k: PRESETS.get(k)
        for k in (
            "sen/demo@1",
            "sen/clip-vit@1",
            "sen/sweep-depth@1",
            "sen/sweep-neurons@1",
            "sen/sweep-blocks@1",
        )
    } == {
        "sen/demo@1": "run",
        "sen/clip-vit@1": "run",
        "sen/sweep-depth@1": "sweep",
        "sen/sweep-neurons@1": "sweep",
        "sen/sweep-blocks@1": "sweep",
    }


@pytest.mark.parametrize("name", sorted(n for n, k in PRESETS.items() if k == "run"))
def test_run_preset_resolves(name):
    """The run preset validates, component names included."""
    cfg = load_run_config(name)
    assert cfg.hash() == load_run_config(name).hash()


@pytest.mark.parametrize("name", sorted(n for n, k in PRESETS.items() if k == "sweep"))
def test_sweep_preset_plans(name):
    """Every trial of the sweep preset resolves to a distinct valid config."""
    trials = plan_trials(load_sweep(name))
    assert len(trials) == len({t.id for t in trials}) >= 2


@pytest.mark.parametrize("name", sorted(n for n, k in PRESETS.items() if k == "run"))
def test_header_examples_resolve(name):
    """Each header comment line with key=value overrides resolves with those overrides."""
    text = Path(preset_source(name).path).read_text()
    header = [ln.lstrip("# ").rstrip(" \\") for ln in text.splitlines() if ln.startswith("#")]
    lines = [[tok for tok in ln.split() if _OVERRIDE.match(tok)] for ln in header]
    examples = [ov for ov in lines if ov]
    assert examples, f"{name}: the header shows no override example"
    for overrides in examples:
        load_run_config(name, overrides)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_networks_validate(name):
    """Each network a preset defines passes the graph builder's checks (resolved, not built)."""
    from sen_core.config.run_config import RunConfig
    from sen_core.network.validate import resolve_network

    if PRESETS[name] == "sweep":
        models = {
            json.dumps(t.config["model"], sort_keys=True): t.config
            for t in plan_trials(load_sweep(name))
        }
        configs = [RunConfig.model_validate(c) for c in models.values()]
    else:
        configs = [load_run_config(name)]
    for cfg in configs:
        resolve_network(cfg.model, get_catalogue())
