"""Issue-11 cases: malformed config files and overrides give one clean message, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.config import load_config_dict
from sen_core.config._yaml import MAX_DEPTH, load_yaml
from sen_core.errors import ConfigError

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("loop: &l [*l]", "alias *l refers to its own node"),
        ("[" * 5000 + "]" * 5000, f"nesting deeper than {MAX_DEPTH} levels"),
        ("{a: " * 3000 + "1" + "}" * 3000, f"nesting deeper than {MAX_DEPTH} levels"),
        (
            "".join("  " * i + "a:\n" for i in range(800)) + "  " * 800 + "b: 1\n",
            f"nesting deeper than {MAX_DEPTH} levels",
        ),
        (LAUGHS, "aliases expand to more than 100000 nodes"),
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first set at line 1)"),
        ("".join(f"k{i}: &a{i} 1\nv{i}: *a{i}\n" for i in range(101)), "more than 100 aliases"),
    ],
)
def test_bounded_loader_refuses(text: str, expected: str) -> None:
    """Recursive aliases, deep nesting, alias bombs and duplicate keys are YAML errors."""
    with pytest.raises(yaml.YAMLError, match=re.escape(expected)):
        load_yaml(text)


def test_bounded_loader_keeps_ordinary_yaml() -> None:
    """Anchors, merge keys, 1e-4 floats and moderate nesting still load."""
    text = "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  b: 2\nlr: 1e-4\n" + "n: " + "[" * 30 + "]" * 30
    data = load_yaml(text)
    assert data["c"] == {"b": 1} and data["d"] == {"b": 2} and data["lr"] == 1e-4


def _sen(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\x89\xff\x00\x13random", "run.yaml: is not UTF-8 text"),
        ("name: x\n".encode("utf-16"), "run.yaml: is not UTF-8 text"),
        (b"name: \xff\xfe\n", "run.yaml: is not UTF-8 text"),
        (b"_meta_: [1, 2]\n", "run.yaml: _meta_ must be a mapping of keys, got list"),
        (b"_meta_: hello\n", "run.yaml: _meta_ must be a mapping of keys, got str"),
        (b"loop: &l [*l]\n", "run.yaml: invalid YAML at line 1, column 11"),
        (LAUGHS.encode(), "aliases expand to more than 100000 nodes"),
        (b"train: {lr: 1}\ntrain: {lr: 2}\n", "duplicate key 'train'"),
        (
            b"model: {_delete_: 'no', depth: 1}\n",
            "run.yaml: model._delete_: expected true or false, got 'no'",
        ),
    ],
)
@pytest.mark.parametrize("command", ["show", "build"])
def test_bad_files_exit_2(tmp_path: Path, content: bytes, expected: str, command: str) -> None:
    """`sen config show` and `sen build` exit 2 with the file named, no traceback."""
    (tmp_path / "run.yaml").write_bytes(content)
    res = _sen("config", "show", "run.yaml") if command == "show" else _sen("build", "run.yaml")
    assert res.exit_code == 2, res.output
    assert expected in res.output
    assert "Traceback" not in res.output


def test_non_utf8_base_names_the_base(tmp_path: Path) -> None:
    """A binary _base_ is reported under its own name."""
    (tmp_path / "base.yaml").write_bytes(b"\xff\xfe\x00junk")
    (tmp_path / "run.yaml").write_text("_base_: base.yaml\n")
    with pytest.raises(ConfigError, match=r"base\.yaml: is not UTF-8 text"):
        load_config_dict("run.yaml")


@pytest.mark.parametrize(
    "override, expected",
    [
        ("model.x=" + "[" * 1000, f"nesting deeper than {MAX_DEPTH} levels"),
        ("model.x=" + LAUGHS.replace("\n", ", ").join("{}"), "not valid YAML"),
        ("model.x={a: 1, a: 2}", "duplicate key 'a'"),
    ],
)
def test_bad_override_values(tmp_path: Path, override: str, expected: str) -> None:
    """Override values go through the same bounded loader."""
    (tmp_path / "run.yaml").write_text("model: {depth: 1}\n")
    res = _sen("config", "show", "run.yaml", override)
    assert res.exit_code == 2, res.output
    assert expected in res.output and "Traceback" not in res.output


def test_delete_true_still_replaces(tmp_path: Path) -> None:
    """Only the boolean true replaces an inherited map."""
    (tmp_path / "base.yaml").write_text("model: {depth: 3, width: 64}\n")
    (tmp_path / "run.yaml").write_text("_base_: base.yaml\nmodel: {_delete_: true, depth: 1}\n")
    assert load_config_dict("run.yaml")["model"] == {"depth": 1}
    (tmp_path / "run.yaml").write_text("_base_: base.yaml\nmodel: {_delete_: false, depth: 1}\n")
    assert load_config_dict("run.yaml")["model"] == {"depth": 1, "width": 64}
