"""Small stand-ins for the network and a dataset with the interfaces the engine relies on.

FakeNet has the SuperEncodingNetwork methods (forward, run_heads, losses, meters); the dataset
returns sample dicts and has ``collate``. Also used by the torchrun worker script.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from sen_core.config.run_config import RunConfig
from sen_core.network.head import Meter

FEATURES = 6


class FakeDataset(Dataset):
    """n samples of x (F,) with y = x @ w + noise; seeded per split."""

    class_names: ClassVar[list[str]] = ["a", "b"]
    fps = 8.0

    def __init__(self, n: int = 32, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, FEATURES, generator=g)
        w = torch.arange(1, FEATURES + 1, dtype=torch.float32) / FEATURES
        self.y = self.x @ w + 0.1 * torch.randn(n, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": self.x[i], "y": self.y[i], "id": f"s{i}"}

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "x": torch.stack([s["x"] for s in samples]),
            "y": torch.stack([s["y"] for s in samples]),
            "id": [s["id"] for s in samples],
        }


class MSEMeter(Meter):
    def __init__(self) -> None:
        self.sq, self.n = 0.0, 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        self.sq += float(((preds["y"].float() - batch["y"]) ** 2).sum())
        self.n += len(batch["y"])

    def compute(self) -> dict[str, float]:
        return {"mse": self.sq / max(self.n, 1)}


class FakeNet(nn.Module):
    seen: Tensor  # a buffer (registered in __init__)

    """Linear regression behind a LayerNorm and dropout, with one frozen tensor and one buffer.

    ``linear=True`` drops the norm and dropout (an exactly linear model, for the accumulation test).
    ``nan_at`` multiplies the loss by ``bad_value`` (NaN) on that training forward call (1-based);
    ``crash_at`` raises RuntimeError there (a killed run).
    """

    def __init__(
        self,
        *,
        linear: bool = False,
        dropout: float = 0.2,
        nan_at: int | None = None,
        crash_at: int | None = None,
        init_seed: int = 0,
        bad_value: float = float("nan"),
    ) -> None:
        super().__init__()
        self.norm = nn.Identity() if linear else nn.LayerNorm(FEATURES)
        self.drop = nn.Identity() if linear else nn.Dropout(dropout)
        with torch.random.fork_rng():  # the same initial weights every time, whatever ran before
            torch.manual_seed(init_seed)
            self.proj = nn.Linear(FEATURES, 4)
            self.out = nn.Linear(4, 1)
        self.frozen = nn.Parameter(torch.ones(FEATURES), requires_grad=False)
        self.register_buffer("seen", torch.zeros(()))
        self.nan_at, self.crash_at, self.bad_value, self.calls = nan_at, crash_at, bad_value, 0

    def forward(
        self, batch: dict[str, Any], features: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self.training:
            self.calls += 1
            if self.crash_at is not None and self.calls == self.crash_at:
                raise RuntimeError("simulated crash")
            self.seen += len(batch["x"])
        h = self.drop(self.norm(batch["x"] * self.frozen))
        return {"h": self.proj(h)}

    def run_heads(self, out: dict[str, Any], batch: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {"reg": {"y": self.out(out["h"]).squeeze(-1)}}

    def step(self, batch: dict[str, Any], cache: Any = None) -> tuple[Any, Any, Any]:
        out = self(batch)
        preds = self.run_heads(out, batch)
        return out, preds, self.losses(out, preds, batch)

    def losses(
        self, out: dict[str, Any], preds: dict[str, Any], batch: dict[str, Any]
    ) -> dict[str, torch.Tensor]:
        mse = ((preds["reg"]["y"].float() - batch["y"]) ** 2).mean()
        if self.training and self.nan_at is not None and self.calls == self.nan_at:
            mse = mse * self.bad_value
        return {"total": mse, "reg": mse}

    def meters(self) -> dict[str, Meter]:
        return {"reg": MSEMeter()}


def make_config(**train: Any) -> RunConfig:
    """A RunConfig whose model part is never built (tests pass ``model=``)."""
    base = {
        "steps": 6,
        "batch_size": 4,
        "lr": 0.05,
        "warmup_steps": 2,
        "checkpoint_every": 3,
        "log_every": 2,
        "eval_batches": 2,
        "device": "cpu",
        "seed": 0,
    }
    return RunConfig.model_validate(
        {
            "name": "fake",
            "model": {
                "neurons": [{"name": "sen/minilm-l6@1", "input": "caption"}],
                "anchor": "minilm_l6",
                "width": 32,
            },
            "data": {"name": "test/fake@1"},
            "train": base | train,
        }
    )


def make_datasets(n_train: int = 32, n_val: int = 12) -> dict[str, Dataset]:
    return {
        "train": FakeDataset(n_train, seed=1),
        "val": FakeDataset(n_val, seed=2),
        "test": FakeDataset(n_val, seed=3),
    }


def trainable(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items() if k != "frozen"}
