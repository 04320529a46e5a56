"""`sen cache info` and `sen cache clear`."""

import json

import torch
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.neuron.cache import FeatureCache


def test_info_then_clear(tmp_path, monkeypatch):
    """info reports entries/size/location ($SEN_CACHE_DIR); clear removes them all."""
    monkeypatch.setenv("SEN_CACHE_DIR", str(tmp_path))
    cache = FeatureCache()
    for k in ("a", "b", "c"):
        cache.put("n1", k, {"x": torch.zeros(10)})
    runner = CliRunner()
    info = json.loads(runner.invoke(cli, ["cache", "info", "--json"]).output)
    assert (info["entries"], info["location"]) == (3, str(tmp_path)) and info["bytes"] > 0
    text = runner.invoke(cli, ["cache", "info"]).output
    assert f"location: {tmp_path}" in text and "entries:  3" in text
    res = runner.invoke(cli, ["cache", "clear", "--dir", str(tmp_path)])
    assert res.exit_code == 0 and res.output.strip() == f"removed 3 entries from {tmp_path}"
    assert json.loads(runner.invoke(cli, ["cache", "info", "--json"]).output)["entries"] == 0
