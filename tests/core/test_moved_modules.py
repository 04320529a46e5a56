"""The module paths of SEN 0.1 that moved keep importing for one release, with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

from sen_core._exports import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_imports_with_a_deprecation_warning(old):
    """Each old path gives the new module's objects and a DeprecationWarning naming the new path."""
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    new = importlib.import_module(MOVED[old])
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any(m.startswith(f"{old} moved to {MOVED[old]}") for m in messages), messages
    public = getattr(new, "__all__", None) or [n for n in vars(new) if not n.startswith("_")]
    assert public and all(getattr(module, n) is getattr(new, n) for n in public)
    assert new.__name__ == MOVED[old]  # the new module is untouched by the alias


def test_published_import_lines_still_work():
    """The import lines docs/api.md of 0.1 showed run in a fresh interpreter (warning, no error)."""
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    from sen_core.head import Head\nexcept DeprecationWarning as w:\n    print(w)\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        "from sen_core.head import Head, Meter, NetworkOutput\n"
        "from sen_core.neuron_inputs import video_to_frames\n"
        "from sen_core.weights import load_into\n"
        "from sen_core.network import Head as H2\n"
        "assert Head is H2\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert lines[0].startswith("sen_core.head moved to sen_core.network.head")
    assert lines[-1] == "ok"


def test_unknown_old_name_is_still_an_import_error():
    """The finder only answers for the listed paths."""
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sen_core.no_such_module")
