"""sen_core.catalogue.provenance: the one saved-vs-installed version check (warn, or refuse when strict)."""

from __future__ import annotations

import pytest

from sen_core.catalogue.provenance import (
    VersionDifference,
    check_run_versions,
    check_versions,
    component_versions,
    strict_versions,
    version_differences,
)
from sen_core.errors import CheckpointError, PluginWarning
from sen_core.specs import Provenance


def test_component_versions_by_distribution_or_plugin():
    """Dicts and Provenance objects alike; no distribution: the plugin name; None: left out."""
    got = component_versions(
        [
            {"plugin": "a", "distribution": "sen-a", "version": "1.0"},
            Provenance(plugin="b", distribution=None, version="2.0"),
            None,
        ]
    )
    assert got == {"sen-a": "1.0", "b": "2.0"}


def test_differences_name_each_distribution():
    """Only changed or missing distributions, sorted, each with both versions."""
    diffs = version_differences(
        {"sen-b": "0.1.0", "sen-a": "1.0", "gone": "3"}, {"sen-a": "1.0", "sen-b": "0.1.1"}
    )
    assert diffs == [
        VersionDifference("gone", "3", None),
        VersionDifference("sen-b", "0.1.0", "0.1.1"),
    ]
    assert [str(d) for d in diffs] == [
        "gone (saved 3, installed not installed)",
        "sen-b (saved 0.1.0, installed 0.1.1)",
    ]


def test_warns_by_default_refuses_when_strict(monkeypatch):
    """A difference warns once naming it; strict=True or SEN_STRICT_VERSIONS=1 raise instead."""
    monkeypatch.delenv("SEN_STRICT_VERSIONS", raising=False)
    assert not strict_versions()
    with pytest.warns(
        PluginWarning, match=r"run: saved with .* sen-b \(saved 0.1.0, installed 0.1.1\)"
    ):
        check_versions({"sen-b": "0.1.0"}, {"sen-b": "0.1.1"}, what="run")
    with pytest.raises(CheckpointError, match="refused because SEN_STRICT_VERSIONS=1"):
        check_versions({"sen-b": "0.1.0"}, {"sen-b": "0.1.1"}, what="run", strict=True)
    monkeypatch.setenv("SEN_STRICT_VERSIONS", "1")
    assert strict_versions() and not strict_versions(False)
    with pytest.raises(CheckpointError):
        check_versions({"sen-b": "0.1.0"}, {"sen-b": "0.1.1"}, what="run")
    assert check_versions({"sen-b": "1"}, {"sen-b": "1"}, what="run") == []


def test_run_versions_compare_the_model_components(monkeypatch):
    """run.json's plugin versions vs the distributions that provide the model's components now."""
    monkeypatch.delenv("SEN_STRICT_VERSIONS", raising=False)
    from sen_core._version import __version__

    info = {
        "versions": {
            "sen": __version__,
            "plugins": [
                {"plugin": "acme", "distribution": "sen-acme", "version": "0.1.0", "ok": True},
                {"plugin": "other", "distribution": "sen-other", "version": "9", "ok": True},
            ],
        }
    }
    comps = {"acme/enc@1": {"plugin": "acme", "distribution": "sen-acme", "version": "0.1.1"}}
    with pytest.warns(PluginWarning) as rec:
        diffs = check_run_versions(info, comps, what="runs/x")
    assert diffs == [VersionDifference("sen-acme", "0.1.0", "0.1.1")]  # sen-other is not used
    assert len(rec) == 1
    assert check_run_versions({}, comps, what="runs/x") == []  # nothing recorded: not checked
