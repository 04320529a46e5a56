"""Where timm implements a ``timm/<model>`` name: the file and line of timm's own model function.

The ``timm/*`` family's ``locator`` (``sen show timm/resnet50``); imports timm, so it runs only when
one dynamic name is shown, never while the catalogue is listed.
"""

from __future__ import annotations

import inspect

__all__ = ["model_source"]


def model_source(name: str) -> str | None:
    """``'timm/resnet50'`` -> ``'.../timm/models/resnet.py:LINE'`` (the registered entry point)."""
    from timm.models import is_model, model_entrypoint, split_model_name_tag

    arch, _ = split_model_name_tag(name.removeprefix("timm/"))
    if not is_model(arch):
        return None
    fn = inspect.unwrap(model_entrypoint(arch))
    lines, first = inspect.getsourcelines(fn)
    # point at the `def` line, past the @register_model decorator
    skip = next(i for i, line in enumerate(lines) if line.lstrip().startswith("def "))
    return f"{inspect.getsourcefile(fn)}:{first + skip}"
