"""RunConfig: everything one training run needs (the network, the data, the training settings).

Pure pydantic (no torch). Configs (sen_core.config) resolve YAML into a RunConfig; its canonical
JSON hash is a run's (and a sweep trial's) identity.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from sen_core.network.spec import NetworkSpec, stable_hash
from sen_core.specs import Frozen

__all__ = ["DataEntry", "RunConfig", "TrainSpec"]

# TrainSpec keys that only say where a run is logged (not part of RunConfig.hash)
TRACKING_KEYS = ("loggers", "mlflow_uri")


class DataEntry(Frozen):
    """A dataset by catalogue name with its params."""

    name: str = "sen/shapes@1"
    params: dict[str, Any] = Field(default_factory=dict)


# the top-level parts of a SuperEncodingNetwork, as its parameter names start
NetworkPart = Literal["neurons", "adapters", "text_proj", "block", "norm", "readout", "heads"]

# a split name: checked against the dataset's declared splits at validation
SPLIT_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$"

_BIG = 10**9  # bound for counts (steps, batches): far above any real run, far below overflow


class TrainSpec(Frozen):
    """Optimisation settings (see docs/training.md).

    Strict: a boolean is not a number (``warmup_steps: true`` is refused, not read as 1), a float
    is not an integer, every float is finite and every integer bounded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    steps: int = Field(default=200, ge=0, le=_BIG)
    batch_size: int = Field(default=8, ge=1, le=2**16)
    lr: float = Field(default=1e-3, gt=0, le=1e3)
    # left out of dumps and hashes while empty, so run dirs made before it keep their hashes
    lr_scale: dict[NetworkPart, Annotated[float, Field(ge=0, le=1e3)]] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,
        description="learning-rate multiplier per part of the network (e.g. {block: 0.3, heads: "
        "1.0}); parts not named keep 1.0",
    )
    weight_decay: float = Field(default=0.01, ge=0, le=1e3)
    warmup_steps: int = Field(default=10, ge=0, le=_BIG)
    grad_clip: float | None = Field(default=1.0, gt=0)
    accumulate: int = Field(default=1, ge=1, le=2**16)
    bf16: bool = False
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="NumPy accepts 32-bit seeds")
    checkpoint_every: int = Field(default=100, ge=1, le=_BIG)
    eval_every: int | None = Field(default=None, ge=1, le=_BIG)
    log_every: int = Field(default=10, ge=1, le=_BIG)
    eval_batches: int | None = Field(
        default=8,
        ge=1,
        le=_BIG,
        description="null: the whole split (a retrieval benchmark's N x N)",
    )
    num_workers: int = Field(default=0, ge=0, le=256)
    keep_checkpoints: int = Field(
        default=2, ge=1, le=_BIG, description="newest checkpoints kept in the run dir"
    )
    eval_split: str = Field(
        default="val",
        pattern=SPLIT_PATTERN,
        description="held-out split evaluated during training; one of the dataset's splits",
    )
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

    name: str = Field(
        default="run",
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+=@-]{0,127}$",
        description="one path part: the run directory is runs/<name>, never outside runs/",
    )
    model: NetworkSpec
    data: DataEntry = DataEntry()
    train: TrainSpec = TrainSpec()

    @field_validator("name")
    @classmethod
    def _inside_runs(cls, name: str) -> str:
        if name in (".", "..") or name.startswith(".."):
            raise ValueError("must not name a parent directory")
        return name

    def loss_problem(self) -> str | None:
        """Why this config cannot train (nothing to minimise), or None.

        Checked by ``train()`` before the run directory is touched, not at validation: a config
        without heads is still a valid network to show, build or encode with.
        """
        if any(h.weight > 0 for h in self.model.heads) or self.model.distill_weight > 0:
            return None
        return (
            "model.heads: a run needs at least one head with a loss weight > 0 "
            f"(got {len(self.model.heads)} head(s)); add one, e.g. sen/classify-linear@1"
        )

    def hash(self) -> str:
        # where a run is logged does not change what it computes: tracking keys stay out of the
        # hash, so adding --log keeps run and trial identities (and resume) intact
        return stable_hash(self.model_dump(mode="json", exclude={"train": set(TRACKING_KEYS)}))
