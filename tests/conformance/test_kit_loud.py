"""The kit never passes by checking nothing, and its failures name component, check and values."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import sen_core.catalogue
from sen_core.catalogue._plugins import PluginSource, load_catalogue
from sen_core.errors import ConfigError, PluginWarning
from sen_core.testing import CheckFailure, checks

DOCUMENTED_TEST = """\
# tests/test_conformance.py (docs/plugins.md section 5, verbatim)
import pytest

pytestmark = pytest.mark.sen_conformance("sen-acme")  # your distribution, plugin or namespace


def test_conformance(sen_check):
    sen_check()
"""


def _broken_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed plugins plus 'acme' (distribution sen-acme) whose import fails."""

    def boom() -> None:
        raise ModuleNotFoundError("No module named 'torchvisionn'")

    sources = [PluginSource("acme", boom, "sen-acme", "0.1.0")]
    with pytest.warns(PluginWarning):
        cat = load_catalogue(sources, strict=False, allow=None)
    monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)


@pytest.mark.parametrize("selector", ["sen-acme", "acme"])
def test_a_plugin_that_failed_to_load_is_an_error_not_an_empty_list(monkeypatch, selector):
    """Selecting a plugin (by distribution or plugin name) that failed to import names it and why."""
    _broken_catalogue(monkeypatch)
    with pytest.raises(ConfigError) as err:
        checks(selectors=[selector])
    assert str(err.value) == (
        "conformance: plugin 'acme' (distribution 'sen-acme 0.1.0') failed to load, so nothing "
        f"of '{selector}' can be checked: failed to import: ModuleNotFoundError: No module "
        "named 'torchvisionn'"
    )


def test_a_selector_matching_nothing_names_what_is_installed():
    """A typo in the selector lists the installed namespaces, plugins and distributions."""
    with pytest.raises(ConfigError) as err:
        checks(selectors=["sen-acmee"])
    msg = str(err.value)
    assert msg.startswith("conformance: selector 'sen-acmee' matches no installed component")
    assert "installed: " in msg and "sen, " in msg and "timm" in msg
    assert "failed to load: none" in msg


def test_selected_but_nothing_of_the_kinds_is_an_error():
    """A selection with components, none of the asked kinds, is not an empty pass."""
    with pytest.raises(
        ConfigError, match=r"nothing to check: no head of 'presets' \(it registers: preset"
    ):
        checks(["head"], ["presets"])


def test_an_unknown_kind_is_an_error():
    with pytest.raises(ConfigError, match=r"conformance kinds \['encoders'\]"):
        checks(["encoders"])


def test_documented_kit_test_fails_when_the_plugin_does_not_load(tmp_path):
    """End to end: an installed distribution whose plugin module raises; pytest exits non-zero."""
    site = tmp_path / "site"
    (site / "sen_acme").mkdir(parents=True)
    (site / "sen_acme" / "__init__.py").write_text("")
    (site / "sen_acme" / "plugin.py").write_text("import torchvisionn  # a missing dependency\n")
    info = site / "sen_acme-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sen-acme\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[sen]\nacme = sen_acme.plugin\n")
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "tests" / "test_conformance.py").write_text(textwrap.dedent(DOCUMENTED_TEST))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(site)}
    env.pop("SEN_STRICT_PLUGINS", None)
    env.pop("SEN_LOAD_PLUGINS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "empty parameter set" not in out
    assert (
        "plugin 'acme' (distribution 'sen-acme 0.1.0') failed to load, so nothing of 'sen-acme' "
        "can be checked: failed to import: ModuleNotFoundError: No module named 'torchvisionn'"
    ) in out


def test_a_raw_error_inside_a_check_names_component_and_check(monkeypatch):
    """A component raising a raw exception is reported with its name, the check and the error."""
    from sen_core.testing import _encoder_checks

    def explode(case):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x32 and 64x8)")

    monkeypatch.setattr(_encoder_checks, "build", explode)
    found = dict(checks(["encoder"], ["sen"]))
    test_id = next(i for i in found if i.endswith("-builds_as_declared"))
    with pytest.raises(CheckFailure) as err:
        found[test_id]()
    name = test_id.removesuffix("-builds_as_declared")
    assert str(err.value) == (
        f"{name}: builds_as_declared: the component raised RuntimeError: mat1 and mat2 shapes "
        "cannot be multiplied (2x32 and 64x8)"
    )
    assert isinstance(err.value.__cause__, RuntimeError)
