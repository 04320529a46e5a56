"""The run directory: where one training run keeps its config, provenance, metrics and checkpoints.

Layout (docs/training.md)::

    RUN_DIR/config.yaml          the resolved RunConfig (loadable with `sen train RUN_DIR/config.yaml`)
    RUN_DIR/run.json             config hash, model hash, versions of sen/torch/plugins, world size, status
    RUN_DIR/metrics.jsonl        one line per log step and per evaluation
    RUN_DIR/curves.png           loss, learning rate and evaluation metrics against the step
    RUN_DIR/final.json           the final metrics returned by train()
    RUN_DIR/checkpoints/latest   the name of the newest complete checkpoint
    RUN_DIR/checkpoints/step_NNNNNN/{model,optimizer}.safetensors + trainer.json
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write_json, atomic_write_text
from sen_core.config.run_config import RunConfig
from sen_core.errors import CheckpointError, ConfigError
from sen_core.train.logging import CURVES_FILE, METRICS_FILE

LATEST = "latest"


def step_dir_name(step: int) -> str:
    return f"step_{step:06d}"


def list_checkpoints(root: str | Path) -> list[Path]:
    """Complete checkpoint directories, oldest first (temporary ones start with a dot)."""
    root = Path(root)
    if not root.is_dir():
        return []
    dirs = [
        p
        for p in root.iterdir()
        if p.is_dir() and p.name.startswith("step_") and p.name[5:].isdigit()
    ]
    return sorted(dirs, key=lambda p: int(p.name[5:]))


def latest_checkpoint(root: str | Path) -> Path | None:
    """The directory ``root/latest`` names, else the highest step; ``None`` when there is none."""
    root = Path(root)
    pointer = root / LATEST
    if pointer.is_file():
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"cannot read {pointer}: {exc}") from None
        if not (name.startswith("step_") and name[5:].isdigit()):
            raise CheckpointError(f"{pointer} must name a step_NNNNNN directory, got {name[:40]!r}")
        path = root / name
        if not path.is_dir():
            raise CheckpointError(f"{pointer} names '{name}', but {path} does not exist")
        return path
    found = list_checkpoints(root)
    return found[-1] if found else None


class RunDir:
    """Paths and small readers/writers of one run directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    config = property(lambda self: self.root / "config.yaml")
    info = property(lambda self: self.root / "run.json")
    metrics = property(lambda self: self.root / METRICS_FILE)
    curves = property(lambda self: self.root / CURVES_FILE)
    final = property(lambda self: self.root / "final.json")
    checkpoints = property(lambda self: self.root / "checkpoints")

    def latest_checkpoint(self) -> Path | None:
        return latest_checkpoint(self.checkpoints)

    def require_checkpoint(self) -> Path:
        if not self.root.is_dir():
            raise CheckpointError(f"run directory {self.root} does not exist")
        ckpt = self.latest_checkpoint()
        if ckpt is None:
            raise CheckpointError(
                f"run directory {self.root} has no checkpoint yet (nothing under {self.checkpoints})"
            )
        return ckpt

    # ---- config -----------------------------------------------------------------------------
    def write_config(self, config: RunConfig) -> None:
        import yaml

        header = f"# resolved config of run '{config.name}', hash {config.hash()}\n"
        atomic_write_text(
            self.config, header + yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        )

    def read_config(self) -> RunConfig:
        """The run's resolved config; any damage (not UTF-8, bad YAML, wrong schema, unreadable)
        is a one-line ConfigError naming the file."""
        import yaml
        from pydantic import ValidationError

        from sen_core.config._yaml import load_yaml

        if not self.config.is_file():
            raise ConfigError(
                f"run directory {self.root} has no config.yaml; is it a run directory?"
            )
        try:
            text = self.config.read_bytes().decode("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {self.config}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{self.config} is not UTF-8 text (byte {exc.start}: {exc.reason}); "
                "expected the YAML run config that sen train wrote"
            ) from None
        try:
            return RunConfig.model_validate(load_yaml(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{self.config} is not valid YAML{where}: {problem}") from None
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise ConfigError(f"{self.config} is not a valid run config: {errors}") from None

    def read_final(self) -> dict[str, Any]:
        """``final.json`` of a finished run; a damaged one is a one-line CheckpointError."""
        try:
            data = json.loads(self.final.read_bytes().decode("utf-8"))
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
            raise CheckpointError(
                f"cannot read {self.final}: {exc}; delete it to evaluate the run again"
            ) from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{self.final} must hold a JSON object of final metrics")
        return data

    # ---- provenance -------------------------------------------------------------------------
    def read_info(self) -> dict[str, Any]:
        try:
            info: dict[str, Any] = json.loads(self.info.read_text())
        except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
            return {}
        return info

    def write_info(self, config: RunConfig, *, world_size: int, status: str, **extra: Any) -> None:
        info = self.read_info()
        info.pop("error", None)
        info.update(
            {
                "name": config.name,
                "config_hash": config.hash(),
                "model_hash": config.model.hash(),
                "world_size": world_size,
                "status": status,
                "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                **extra,
            }
        )
        info.setdefault("created", info["updated"])
        info.setdefault("versions", environment_versions())
        atomic_write_json(self.info, info)


def environment_versions() -> dict[str, Any]:
    """Versions of python, sen, torch and every loaded plugin (the provenance of a run)."""
    import torch

    from sen_core._version import __version__
    from sen_core.catalogue import get_catalogue

    try:
        plugins = [
            {"plugin": p.name, "distribution": p.distribution, "version": p.version, "ok": p.ok}
            for p in get_catalogue().plugins
        ]
    except Exception as exc:  # noqa: BLE001 - provenance must never stop a run
        plugins = [{"error": f"{type(exc).__name__}: {exc}"}]
    return {
        "python": platform.python_version(),
        "sen": __version__,
        "torch": torch.__version__,
        "plugins": plugins,
    }
