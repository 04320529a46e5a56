"""Listing plugins must not import heavy libraries (torch, timm, open_clip, transformers)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "torchvision", "timm", "open_clip", "transformers"]

SCRIPT = """
import json, sys
from sen_core.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _heavy_after(argv: list[str]) -> list[str]:
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(res.stderr.strip().splitlines()[-1])


def test_sen_list_imports_no_heavy_library():
    """`sen list` loads every plugin and lists everything without importing torch & co."""
    assert _heavy_after(["list"]) == []


def test_sen_plugins_and_show_import_no_heavy_library():
    """`sen plugins` and `sen show` stay light too."""
    assert _heavy_after(["plugins"]) == []
    assert _heavy_after(["list", "blocks"]) == []


def test_importing_sen_core_is_light():
    """`import sen_core` imports no heavy library."""
    code = f"import sys, sen_core; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    ).stdout.strip()
    assert out == "[]"


def test_package_faces_are_light():
    """The faces and the cheap spec/config modules resolve names lazily: importing them pulls no torch."""
    code = (
        "import sys, sen_core.neuron, sen_core.network, sen_core.data, sen_core.network.spec, "
        "sen_core.config, sen_core.neuron.cache, sen_core.neuron.prompting.timm_models; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
