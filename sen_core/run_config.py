"""RunConfig: everything one training run needs (the network, the data, the training settings).

Pure pydantic (no torch). Configs (sen_core.config) resolve YAML into a RunConfig; its canonical
JSON hash is a run's (and a sweep trial's) identity.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._frozen import Frozen
from .network_spec import NetworkSpec, stable_hash

__all__ = ["DataEntry", "RunConfig", "TrainSpec"]

# TrainSpec keys that only say where a run is logged (not part of RunConfig.hash)
TRACKING_KEYS = ("loggers", "mlflow_uri")


class DataEntry(Frozen):
    """A dataset by catalogue name with its params."""

    name: str = "sen/shapes@1"
    params: dict[str, Any] = Field(default_factory=dict)


class TrainSpec(Frozen):
    """Optimisation settings (see docs/training.md)."""

    steps: int = Field(default=200, ge=0)
    batch_size: int = Field(default=8, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_steps: int = Field(default=10, ge=0)
    grad_clip: float | None = Field(default=1.0, gt=0)
    accumulate: int = Field(default=1, ge=1)
    bf16: bool = False
    seed: int = 0
    checkpoint_every: int = Field(default=100, ge=1)
    eval_every: int | None = Field(default=None, ge=1)
    log_every: int = Field(default=10, ge=1)
    eval_batches: int = Field(default=8, ge=1)
    num_workers: int = Field(default=0, ge=0)
    keep_checkpoints: int = Field(
        default=2, ge=1, description="newest checkpoints kept in the run dir"
    )
    eval_split: str = Field(default="val", description="held-out split evaluated during training")
    device: str = Field(
        default="auto",
        pattern=r"^(auto|cpu|cuda(:[0-9]+)?|mps)$",
        description="auto: CUDA if available",
    )
    loggers: list[Literal["tensorboard", "mlflow"]] = Field(
        default_factory=list,
        description="experiment trackers fed during training (docs/training.md#experiment-tracking)",
    )
    mlflow_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI (default $MLFLOW_TRACKING_URI, else sqlite:///runs/mlflow.db)",
    )


class RunConfig(Frozen):
    """Everything one training run needs: model, data, training."""

    name: str = "run"
    model: NetworkSpec
    data: DataEntry = DataEntry()
    train: TrainSpec = TrainSpec()

    def hash(self) -> str:
        # where a run is logged does not change what it computes: tracking keys stay out of the
        # hash, so adding --log keeps run and trial identities (and resume) intact
        return stable_hash(self.model_dump(mode="json", exclude={"train": set(TRACKING_KEYS)}))
