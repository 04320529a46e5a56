"""Run directory outputs: metrics.jsonl lines, curves.png, final.json, run.json and config.yaml."""

import json

from sen_core.train import RunDir
from sen_core.train.logging import read_metrics


def test_metrics_png_and_provenance(run_train, fk):
    """One JSONL line per log step and per eval; a PNG; provenance with the config hash and versions."""
    result, _, run_dir = run_train("r", steps=6, log_every=2, eval_every=3, plot=True)
    recs = read_metrics(run_dir / "metrics.jsonl")
    assert [(r["kind"], r["step"]) for r in recs] == [
        ("train", 2),
        ("eval", 3),
        ("train", 4),
        ("train", 6),
        ("eval", 6),
    ]
    assert set(recs[0]) == {
        "kind",
        "step",
        "loss",
        "loss/reg",
        "lr",
        "grad_norm",
        "epoch",
        "time_s",
    }
    assert (
        set(recs[1]) == {"kind", "step", "split", "loss", "loss/reg", "reg/mse"}
        and recs[1]["split"] == "val"
    )
    assert (run_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((run_dir / "final.json").read_text()) == result
    assert result == {
        "step": 6,
        **{k: v for k, v in recs[-1].items() if k not in ("kind", "step", "split")},
    }
    config = fk.make_config(steps=6, log_every=2, eval_every=3)
    info = json.loads((run_dir / "run.json").read_text())
    assert (info["config_hash"], info["model_hash"], info["status"]) == (
        config.hash(),
        config.model.hash(),
        "finished",
    )
    assert {"python", "sen", "torch", "plugins"} <= set(info["versions"])
    assert RunDir(run_dir).read_config() == config
    assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]


def test_torn_last_line_is_skipped(tmp_path):
    """A line cut by a kill does not break reading the log."""
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"kind": "train", "step": 1, "loss": 1.0}\n{"kind": "train", "st')
    assert read_metrics(path) == [{"kind": "train", "step": 1, "loss": 1.0}]
