"""sen_core.network: build and run Super Encoding Networks; the public face for block and head plugins.

``build_network(spec)`` validates a ``NetworkSpec`` and returns a ``SuperEncodingNetwork``;
``save_network`` / ``load_network`` persist it. Block plugins subclass ``RABlock`` and use the
attention and prompt-generator parts; head plugins subclass ``Head`` and ``Meter`` and read a
``NetworkOutput``. Names resolve on first use: importing this package (or its cheap ``spec``
module) does not import torch. See docs/network.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sen_core._exports import lazy_getattr

if TYPE_CHECKING:
    from sen_core.network.attention import (
        CrossAttention,
        FeedForward,
        SelfAttention,
        attend,
    )
    from sen_core.network.block import (
        NeuronInfo,
        RABlock,
        StepContext,
    )
    from sen_core.network.builder import (
        build_network,
    )
    from sen_core.network.describe import (
        describe_network,
        to_dot,
        to_mermaid,
    )
    from sen_core.network.head import (
        Head,
        Meter,
        NetworkOutput,
    )
    from sen_core.network.prompts import (
        DEEP_MODES,
        Distributor,
        PromptGenerator,
    )
    from sen_core.network.save import (
        load_network,
        save_network,
    )
    from sen_core.network.spec import (
        NetworkSpec,
    )

_WHERE = {
    "sen_core.network.spec": ("NetworkSpec",),
    "sen_core.network.block": ("NeuronInfo", "RABlock", "StepContext"),
    "sen_core.network.head": ("Head", "Meter", "NetworkOutput"),
    "sen_core.network.attention": ("CrossAttention", "FeedForward", "SelfAttention", "attend"),
    "sen_core.network.prompts": ("DEEP_MODES", "Distributor", "PromptGenerator"),
    "sen_core.network.builder": ("build_network",),
    "sen_core.network.save": ("load_network", "save_network"),
    "sen_core.network.describe": ("describe_network", "to_dot", "to_mermaid"),
}
__all__ = [
    "DEEP_MODES",
    "CrossAttention",
    "Distributor",
    "FeedForward",
    "Head",
    "Meter",
    "NetworkOutput",
    "NetworkSpec",
    "NeuronInfo",
    "PromptGenerator",
    "RABlock",
    "SelfAttention",
    "StepContext",
    "attend",
    "build_network",
    "describe_network",
    "load_network",
    "save_network",
    "to_dot",
    "to_mermaid",
]
__getattr__ = lazy_getattr(__name__, _WHERE, __all__)
