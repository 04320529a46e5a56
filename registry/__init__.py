"""SEN's preset registry (installed as the package ``sen_registry``).

Every YAML file under ``runs/`` and ``sweeps/`` is a preset. Its ``_meta_`` mapping names it
(``name``, ``summary``); the folder gives its kind. Registered through the ``sen_presets`` hook,
the same entry-point mechanism a third-party preset pack uses.
"""

from __future__ import annotations

from importlib import resources

from sen_core.hookspecs import hookimpl

_FOLDERS = {"runs": "run", "sweeps": "sweep"}


@hookimpl
def sen_presets(register) -> None:
    import yaml

    from sen_core.specs import PresetSpec

    root = resources.files(__name__)
    for folder, kind in _FOLDERS.items():
        base = root / folder
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".yaml"):
                continue
            meta = (yaml.safe_load(entry.read_text()) or {}).get("_meta_", {})
            register(
                PresetSpec(
                    name=meta["name"],
                    summary=meta["summary"],
                    preset_kind=kind,
                    resource=f"{__name__}:{folder}/{entry.name}",
                    tags=tuple(meta.get("tags", ())),
                )
            )
