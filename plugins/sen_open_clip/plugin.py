"""Hook implementations of ``sen_open_clip`` (entry point group ``sen``): the ``open_clip/*`` family.

Both towers of every open_clip architecture are neurons: ``open_clip/<arch>/image`` and
``open_clip/<arch>/text``. Imports only sen_core; open_clip loads when a name is resolved.
"""

from __future__ import annotations

from sen_core.hookspecs import Register, hookimpl
from sen_core.specs import FamilySpec

OPEN_CLIP_FAMILY = FamilySpec(
    namespace="open_clip",
    family_of="encoder",
    summary="Image and text towers of every open_clip architecture (local checkpoints only)",
    lister="sen_open_clip.family:list_names",
    resolver="sen_open_clip.family:resolve",
    examples=(
        "open_clip/ViT-B-32/image",
        "open_clip/ViT-B-32/text",
        "open_clip/RN50/image",
        "open_clip/sen-tiny-vit/image",
    ),
)


@hookimpl
def sen_encoders(register: Register) -> None:
    register(OPEN_CLIP_FAMILY)
