"""The YAML dialect of config files: PyYAML's safe loader, bounded, with ``1e-4`` read as a float.

PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-4``); people write ``lr: 1e-4`` and
mean a number, so the float resolver here also accepts the exponent-only form (as YAML 1.2 does).
The loader is bounded before any Python object is built: nesting deeper than ``MAX_DEPTH``, more
than ``MAX_ALIASES`` aliases, an alias that expands past ``MAX_EXPANDED_NODES`` nodes ("billion
laughs"), an alias to its own enclosing node, and a duplicate mapping key are refused with a
``yaml.YAMLError`` that carries the line and column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.events import AliasEvent, Event, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node

MAX_DEPTH = 64  # configs are a handful of levels deep; PyYAML recurses once per level
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 100_000  # nodes after expanding every alias (a config has a few hundred)


def _refuse(problem: str, event: Event) -> ComposerError:
    # the stubs also allow the C parser's mark type; this pure-Python loader makes yaml.error.Mark
    mark = event.start_mark if isinstance(event.start_mark, Mark) else None
    return ComposerError(None, None, problem, mark)


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (no object construction) with YAML 1.2 floats and the bounds above."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes below it, aliases expanded
        self._open: set[str] = set()  # anchors of nodes still being composed

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if event.anchor in self._open:
                raise _refuse(f"alias *{event.anchor} refers to its own node", event)
            if self._aliases > MAX_ALIASES:
                raise _refuse(f"more than {MAX_ALIASES} aliases", event)
            node = super().compose_node(parent, index)
            self._expanded += self._sizes.get(id(node), 1)
            if self._expanded > MAX_EXPANDED_NODES:
                raise _refuse(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes", event)
            return node
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            if self._depth >= MAX_DEPTH:
                raise _refuse(f"nesting deeper than {MAX_DEPTH} levels", event)
            anchor = event.anchor
            if anchor is not None:
                self._open.add(anchor)
            self._depth += 1
            before = self._expanded
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
                if anchor is not None:
                    self._open.discard(anchor)
            assert node is not None  # a start event always composes a node
            children = (
                len(node.value) * (2 if isinstance(node, MappingNode) else 1)
                + self._expanded
                - before
            )
            self._sizes[id(node)] = 1 + children
            self._expanded += 1
            if self._expanded > MAX_EXPANDED_NODES:
                raise _refuse(f"more than {MAX_EXPANDED_NODES} nodes", event)
            return node
        if isinstance(event, ScalarEvent):
            self._expanded += 1
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` overrides on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # unhashable key: the base constructor reports it
            if first is not key_node:
                raise ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first set at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


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
    """Parse YAML text safely (plain data only, bounded as described above)."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the key order given (what ``sen config show`` prints)."""
    text: str = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    return text
