"""Fixtures for catalogue tests: fake plugins as in-memory modules, and fake installed distributions."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest

from sen_core.catalogue._plugins import PluginSource


def make_module(name: str, source: str) -> types.ModuleType:
    """A plugin module built from source text (its hooks use sen_core.hookimpl)."""
    mod = types.ModuleType(name)
    exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), mod.__dict__)
    return mod


def source(
    name: str, body: str, dist: str | None = None, version: str | None = "1.0"
) -> PluginSource:
    mod = make_module(name, body)
    return PluginSource(
        name=name, load=lambda: mod, distribution=dist or f"sen-{name}", version=version
    )


ENCODER_PLUGIN = """
from sen_core import hookimpl, EncoderSpec, TokenLayout
@hookimpl
def sen_encoders(register):
    register(EncoderSpec(name="{name}", summary="a test encoder", factory="nowhere.at_all:build",
                         modality="image", width=8, layout=TokenLayout(kind="frames", tokens_per_frame=1)))
"""


@pytest.fixture
def plugin_source():
    """``plugin_source(name, body, dist=None)`` -> PluginSource of a module built from ``body``."""
    return source


@pytest.fixture
def encoder_plugin():
    def _make(plugin: str, spec_name: str, dist: str | None = None) -> PluginSource:
        return source(plugin, ENCODER_PLUGIN.format(name=spec_name), dist)

    return _make


@pytest.fixture
def fake_site(tmp_path: Path):
    """Write an installed-looking distribution (dist-info + module) into a folder for PYTHONPATH."""

    def _install(dist: str, module: str, body: str, ep_name: str | None = None) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / f"{module}.py").write_text(textwrap.dedent(body))
        info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        (info / "entry_points.txt").write_text(f"[sen]\n{ep_name or module} = {module}\n")
        return site

    return _install
