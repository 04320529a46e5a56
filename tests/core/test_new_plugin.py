"""`sen new plugin`: names, the dataset and preset scaffolds in-process, the templates.

The scaffold installed for real (pip), its own kit-based tests and `sen list`: test_installed_plugins.py."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sen_core.cli import cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "sen-example-plugin" / "sen_example_plugin"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Acme_Check"], "plugin name 'Acme_Check': expected lower-case words joined by '-'"),
        (["acme-x", "--kind", "encoder", "--dir", "{tmp}", "--dir", "{tmp}"], None),
    ],
)
def test_bad_name_is_one_line_exit_2(tmp_path, args, message):
    """A bad name exits 2 with one line; an existing folder is refused the second time."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    runner = CliRunner()
    res = runner.invoke(cli, ["new", "plugin", *args])
    if message is not None:
        assert res.exit_code == 2 and message in res.output
        return
    assert res.exit_code == 0, res.output
    again = runner.invoke(cli, ["new", "plugin", *args])
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize("kinds", [("dataset",), ("preset",), ("dataset", "preset")])
def test_dataset_and_preset_scaffolds_pass_the_kit_in_process(tmp_path, monkeypatch, kinds):
    """`--kind dataset` / `--kind preset` alone: the rendered plugin registers and passes the kit
    (a preset without the plugin's own components uses SEN's), without installing anything."""
    import sen_core.catalogue
    from sen_core.catalogue._plugins import PluginSource, entry_point_sources, load_catalogue
    from sen_core.testing import checks

    name = f"kt{len(kinds)}{kinds[0][0]}-x"
    args = ["new", "plugin", name, "--dir", str(tmp_path)]
    res = CliRunner().invoke(cli, [*args, *(a for k in kinds for a in ("--kind", k))])
    assert res.exit_code == 0, res.output
    module, ns = name.replace("-", "_"), name.split("-", maxsplit=1)[0]
    monkeypatch.syspath_prepend(str(tmp_path / name))
    src = PluginSource(ns, lambda: importlib.import_module(f"{module}.plugin"), name, "0.1.0")
    cat = load_catalogue([*entry_point_sources(), src], strict=True, allow=None)
    monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)
    found = checks(selectors=[name])
    own = {"dataset": "color-clips", "preset": "demo"}
    assert {i.split("@", maxsplit=1)[0] for i, _ in found} == {f"{ns}/{own[k]}" for k in kinds}
    for _, check in found:
        check()
    assert (tmp_path / name / module / "plugin.py").read_text().count("@hookimpl") == len(kinds)


@pytest.mark.parametrize(
    ("template", "example"), [("block", "meanmix"), ("encoder", "tinyconv"), ("head", "probe")]
)
def test_templates_are_the_type_checked_example_plugin(template, example):
    """The encoder, block and head templates are the example plugin's modules (which `mypy` checks
    in SEN's own gate) with the namespace as a placeholder: a template cannot drift into a type error."""
    from sen_core.cli._new_cmds import _template

    text = (
        _template(f"{template}.py.tmpl")
        .replace("${ns}", "acme")
        .replace("${module}", "sen_example_plugin")
    )
    assert text == (EXAMPLE / f"{example}.py").read_text()
