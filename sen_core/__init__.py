"""SEN: compose pretrained encoders ("super neurons") into Super Encoding Networks.

Importing this package is cheap: no torch, timm, open_clip or transformers. Heavy modules are
imported by the functions that need them.
"""
from __future__ import annotations

from ._version import __version__
from .catalogue import Catalogue, get_catalogue, reset_catalogue
from .errors import (
    CheckpointError,
    ConfigError,
    DuplicateNameError,
    InputError,
    PluginLoadError,
    SenError,
    SpecError,
    UnknownNameError,
)
from .hookspecs import hookimpl
from .specs import (
    BlockSpec,
    DatasetSpec,
    EncoderSpec,
    FamilySpec,
    HeadSpec,
    PresetSpec,
    Preprocess,
    Provenance,
    TokenLayout,
)

__all__ = [
    "__version__", "hookimpl", "get_catalogue", "reset_catalogue", "Catalogue",
    "EncoderSpec", "BlockSpec", "HeadSpec", "DatasetSpec", "PresetSpec", "FamilySpec",
    "Provenance", "TokenLayout", "Preprocess",
    "SenError", "SpecError", "ConfigError", "InputError", "CheckpointError", "PluginLoadError",
    "DuplicateNameError", "UnknownNameError",
]
