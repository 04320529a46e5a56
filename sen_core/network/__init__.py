"""sen_core.network: build and run Super Encoding Networks (imports torch).

``build_network(spec)`` validates a NetworkSpec and returns a ``SuperEncodingNetwork``;
``save_network`` / ``load_network`` persist it. Block plugins implement ``RABlock`` (block.py).
See docs/network.md.
"""

from __future__ import annotations

from .block import NeuronInfo, RABlock, StepContext
from .builder import build_network
from .describe import describe_network, to_dot, to_mermaid
from .network import SuperEncodingNetwork
from .save import load_network, save_network

__all__ = [
    "NeuronInfo",
    "RABlock",
    "StepContext",
    "SuperEncodingNetwork",
    "build_network",
    "describe_network",
    "load_network",
    "save_network",
    "to_dot",
    "to_mermaid",
]
