"""SEN: compose pretrained encoders ("super neurons") into Super Encoding Networks.

This is the public face a plugin's ``plugin.py`` needs (specs, errors, ``hookimpl``, the catalogue),
and importing it is cheap: no torch, timm, open_clip or transformers. The runtime faces are
``sen_core.neuron`` (encoders), ``sen_core.network`` (blocks, heads), ``sen_core.data`` (datasets)
and ``sen_core.testing`` (the conformance kit): docs/api.md lists every name, docs/architecture.md
how the packages stack.
"""

from __future__ import annotations

from sen_core._exports import install_moved_finder
from sen_core._version import __version__
from sen_core.catalogue import Catalogue, get_catalogue, reset_catalogue
from sen_core.errors import (
    CheckpointError,
    ConfigError,
    DuplicateNameError,
    InputError,
    PluginLoadError,
    SenError,
    SpecError,
    UnknownNameError,
)
from sen_core.hookspecs import hookimpl
from sen_core.specs import (
    BlockSpec,
    DatasetSpec,
    EncoderSpec,
    FamilySpec,
    HeadSpec,
    Preprocess,
    PresetSpec,
    Provenance,
    TokenLayout,
)

__all__ = [
    "BlockSpec",
    "Catalogue",
    "CheckpointError",
    "ConfigError",
    "DatasetSpec",
    "DuplicateNameError",
    "EncoderSpec",
    "FamilySpec",
    "HeadSpec",
    "InputError",
    "PluginLoadError",
    "Preprocess",
    "PresetSpec",
    "Provenance",
    "SenError",
    "SpecError",
    "TokenLayout",
    "UnknownNameError",
    "__version__",
    "get_catalogue",
    "hookimpl",
    "reset_catalogue",
]

install_moved_finder()  # the module paths of 0.1 keep working for one release (deprecated)
