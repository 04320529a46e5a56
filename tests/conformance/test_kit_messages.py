"""Broken datasets, heads and blocks fail the kit with the component, the check and the values."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

import sen_core.catalogue
from sen_core.catalogue._catalogue import Catalogue
from sen_core.network import RABlock
from sen_core.network.head import Head, Meter, NetworkOutput
from sen_core.specs import BlockSpec, DatasetSpec, HeadSpec, Provenance
from sen_core.testing import CheckFailure, checks
from sen_core.testing._schema import batch_problems

PROV = Provenance(plugin="kit", distribution="sen-kit", version="0.1")


class ToyClips(torch.utils.data.Dataset):
    """Four 3-frame clips with labels and a moment; ``broken`` picks one defect."""

    fps = 4.0

    def __init__(self, spec: Any, *, split: str, broken: str = "none") -> None:
        self.broken = broken
        self.class_names = ["a", "b", "c"]

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> dict[str, Any]:
        t = 3
        return {
            "video": torch.full((t, 8, 8, 3), i, dtype=torch.uint8),
            "label": torch.tensor(5 if self.broken == "label" else i % 3),
            "saliency": torch.ones(t - 1 if self.broken == "saliency" else t),
            "moments": torch.tensor([[0.2, 0.6]]),
            "caption": f"clip {i}",
        }

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        batch: dict[str, Any] = {
            k: torch.stack([s[k] for s in samples]) for k in ("video", "label", "saliency")
        }
        batch["moments"] = [s["moments"] for s in samples]
        batch["caption"] = [s["caption"] for s in samples]
        if self.broken != "class_names":
            batch["class_names"] = list(self.class_names)
        return batch


class VectorLoss(Head):
    """A head whose loss is per-sample (not a scalar)."""

    def __init__(self, spec: HeadSpec, *, width: int) -> None:
        super().__init__(spec, width=width)
        self.fc = nn.Linear(width, 1)

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        return {"y": self.fc(out.pooled)[:, 0]}

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        return preds["y"].square()

    def meter(self) -> Meter:
        raise NotImplementedError


class Unused(RABlock):
    """An integrate-only block holding a parameter it never uses."""

    def __init__(self, spec: BlockSpec, **kw: Any) -> None:
        super().__init__(spec, **kw)
        self.scale = nn.Parameter(torch.ones(()))
        self.dead = nn.Parameter(torch.zeros(3))

    def integrate(self, step: int, state: Tensor, feats: Any, ctx: Any) -> Tensor:
        return state * self.scale

    def distribute(self, step: int, state: Tensor, ctx: Any) -> dict[str, Tensor]:
        return {}


@pytest.fixture
def kit_catalogue(monkeypatch):
    """Install ``specs`` as the only catalogue (provenance: distribution 'sen-kit')."""

    def install(*specs: Any) -> None:
        cat = Catalogue()
        for s in specs:
            cat.add(s.model_copy(update={"provenance": PROV}))
        monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)

    return install


def _run(test_id: str, kind: str) -> str:
    found = dict(checks([kind], ["sen-kit"]))
    with pytest.raises(CheckFailure) as err:
        found[test_id]()
    return str(err.value)


def _dataset(broken: str) -> DatasetSpec:
    return DatasetSpec(
        name="kit/clips@1",
        summary="toy",
        factory=f"{__name__}:ToyClips",
        params={"broken": broken},
    )


def test_a_good_dataset_passes_every_dataset_check(kit_catalogue):
    kit_catalogue(_dataset("none"))
    found = checks(["dataset"], ["sen-kit"])
    assert [i for i, _ in found] == [
        "kit/clips@1-item_follows_the_schema",
        "kit/clips@1-collate_follows_the_schema",
        "kit/clips@1-same_seed_same_items",
    ]
    for _, check in found:
        check()


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            "class_names",
            "kit/clips@1: collate_follows_the_schema: collate of 2 samples breaks the batch "
            "schema: 'class_names': expected a list of C strings with 'label', got missing",
        ),
        (
            "saliency",
            "kit/clips@1: collate_follows_the_schema: collate of 2 samples breaks the batch "
            "schema: 'saliency': expected float32 tensor (2, 3), got float32 (2, 2)",
        ),
        (
            "label",
            "kit/clips@1: collate_follows_the_schema: collate of 2 samples breaks the batch "
            "schema: 'label': expected class indices in [0, 3) (len(class_names)), got 5..5",
        ),
    ],
)
def test_a_broken_collate_fails_naming_field_expected_and_actual(kit_catalogue, broken, message):
    kit_catalogue(_dataset(broken))
    assert _run("kit/clips@1-collate_follows_the_schema", "dataset") == message


def test_batch_problems_lists_every_problem_at_once():
    """Several defects are reported together, each with its field."""
    batch = {
        "video": torch.zeros(2, 3, 8, 8, 3),
        "caption": ["one"],
        "moments": [torch.tensor([[0.5, 0.2]]), torch.tensor([[0.0, 1.5]])],
        "tracks": torch.zeros(2, 4, 3, 2),
        "visible": torch.zeros(2, 4, 2, dtype=torch.bool),
        "extra": 1,
    }
    assert batch_problems(batch, 2) == [
        "keys outside the batch schema (docs/datasets.md): ['extra']",
        "'video': expected uint8 tensor (2, *, *, *, 3), got float32 (2, 3, 8, 8, 3)",
        "'caption': expected a list of 2 strings, got list of 1 str",
        "'moments'[0]: expected start < end in every row, got [[0.5, 0.20000000298023224]]",
        "'moments'[1]: expected fractions of the clip in [0, 1], got [[0.0, 1.5]]",
        "'visible': expected bool tensor (2, 4, 3), got bool (2, 4, 2)",
    ]


def test_a_head_with_a_vector_loss_fails_with_the_shape(kit_catalogue):
    kit_catalogue(
        HeadSpec(name="kit/vec@1", summary="toy", factory=f"{__name__}:VectorLoss", task="toy")
    )
    assert _run("kit/vec@1-loss_is_finite_and_differentiable", "head") == (
        "kit/vec@1: loss_is_finite_and_differentiable: loss: expected a 0-d tensor, got shape (2,)"
    )


def test_a_block_with_an_unused_parameter_fails_naming_it(kit_catalogue):
    kit_catalogue(
        BlockSpec(name="kit/unused@1", summary="toy", factory=f"{__name__}:Unused", recursive=False)
    )
    assert _run("kit/unused@1-gradients_reach_every_trainable_parameter", "block") == (
        "kit/unused@1: gradients_reach_every_trainable_parameter: share_weights=True: trainable "
        "block parameters without a gradient: expected [], got ['dead']"
    )
