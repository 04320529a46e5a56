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
