"""``sen show NAME`` says where a component's code is: file and line, read from the AST."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sen_core.catalogue.source_location import locate_ref, package_file
from sen_core.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _line_of(path: Path, text: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text)
    )


def test_locate_ref_points_at_the_definition() -> None:
    """A class, a method and a re-exported function resolve to the line that defines them."""
    network = ROOT / "sen_core" / "network" / "network.py"
    describe = ROOT / "sen_core" / "network" / "describe.py"
    assert locate_ref("sen_core.network.network:SuperEncodingNetwork") == (
        f"{network}:{_line_of(network, 'class SuperEncodingNetwork')}"
    )
    # sen_core.network re-exports it: the locator follows the import to describe.py
    assert locate_ref("sen_core.network:describe_network") == (
        f"{describe}:{_line_of(describe, 'def describe_network')}"
    )
    assert locate_ref("no_such_module:thing") is None


def test_package_file_finds_a_preset_yaml() -> None:
    """A preset's 'package:relative/path' resource becomes the file's absolute path."""
    assert package_file("sen_core:__init__.py") == str(ROOT / "sen_core" / "__init__.py")
    assert package_file("sen_core:missing.yaml") is None


def test_show_prints_factory_file_and_line() -> None:
    """`sen show sen/ra-cross@1 --json` carries source.factory = ra_cross.py:<class line>."""
    result = CliRunner().invoke(cli, ["show", "sen/ra-cross@1", "--json"])
    assert result.exit_code == 0, result.output
    ra_cross = ROOT / "plugins" / "sen_blocks" / "ra_cross.py"
    assert json.loads(result.output)["source"] == {
        "factory": f"{ra_cross}:{_line_of(ra_cross, 'class CrossRA')}"
    }


def test_show_static_component_imports_no_heavy_library() -> None:
    """Locating a static component reads files only: torch stays unimported."""
    code = (
        "import sys; from sen_core.cli import main\n"
        "try:\n    main(['show', 'sen/ra-cross@1'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ra_cross.py:" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_show_timm_name_prints_the_timm_model_function() -> None:
    """A dynamic timm name shows the factory, the family resolver and timm's own entry point."""
    from timm.models import resnet

    result = CliRunner().invoke(cli, ["show", "timm/resnet18", "--json"])
    assert result.exit_code == 0, result.output
    source = json.loads(result.output)["source"]
    assert set(source) == {"factory", "resolver", "library"}
    assert (
        source["library"] == f"{resnet.__file__}:{_line_of(Path(resnet.__file__), 'def resnet18(')}"
    )
