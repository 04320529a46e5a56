"""The YAML dialect of config files: PyYAML's safe loader, with ``1e-4`` read as a float.

PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-4``); people write ``lr: 1e-4`` and
mean a number, so the float resolver here also accepts the exponent-only form (as YAML 1.2 does).
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (no object construction) with YAML 1.2 floats."""


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
# Replace the inherited float resolver (resolvers are looked up by first character).
SafeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rules if tag != "tag:yaml.org,2002:float"]
    for ch, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def load_yaml(text: str) -> Any:
    """Parse YAML text safely (plain data only)."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the key order given (what ``sen config show`` prints)."""
    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
