"""Dataset and preset conformance checks.

Datasets: an item follows the documented batch schema (docs/datasets.md), the dataset has
``class_names``, ``fps`` and ``collate``, ``collate`` of two items gives a batch in the schema
(``sen_core.testing._schema``: class names with labels, one saliency value per frame, ...), and
the same params and seed give the same item. Presets: a run or sweep preset resolves against the installed
catalogue (every name and param checked), and a run preset's network resolves too.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case
from sen_core.testing._encoder_checks import SkipCheck
from sen_core.testing._report import expect
from sen_core.testing._schema import SCHEMA, batch_problems

__all__ = ["DATASET_CHECKS", "PRESET_CHECKS"]


def _dataset(case: Case) -> Any:
    from sen_core.catalogue import get_catalogue, import_ref
    from sen_core.errors import ConfigError
    from sen_core.params import call_factory, check_params

    spec = get_catalogue().get(case.name, kind="dataset")
    check_params(spec, case.params)
    try:
        factory = import_ref(spec.factory)
        return call_factory(spec, factory, split="train", **{**spec.params, **case.params})
    except ConfigError as exc:
        if "required" not in str(exc).lower():
            raise
        # a dataset that needs data (a folder, a file) cannot run on its defaults
        raise SkipCheck(
            f"needs params its defaults lack; add a case that sets them ({exc})"
        ) from None


def check_item_follows_the_schema(case: Case) -> None:
    """ds[0] is a dict of schema keys; video is uint8 (T, H, W, 3); the dataset is not empty."""
    import torch

    ds = _dataset(case)
    expect(len(ds) >= 1, "len(dataset)", expected=">= 1", actual=len(ds))
    item = ds[0]
    expect(isinstance(item, dict), "ds[0]", expected="a dict", actual=type(item).__name__)
    unknown = sorted(k for k in item if k not in SCHEMA and not str(k).startswith("_"))
    expect(
        not unknown,
        "keys outside the batch schema (docs/datasets.md)",
        expected=f"some of {list(SCHEMA)} or '_'-prefixed",
        actual=unknown,
    )
    if "video" in item:
        v = item["video"]
        ok = isinstance(v, torch.Tensor) and v.dtype == torch.uint8 and v.ndim == 4
        got = f"{v.dtype} {tuple(v.shape)}" if isinstance(v, torch.Tensor) else type(v).__name__
        expect(ok and v.shape[-1] == 3, "ds[0]['video']", expected="uint8 (T, H, W, 3)", actual=got)
    if "label" in item:
        label = int(item["label"])
        expect(label >= 0, "ds[0]['label']", expected=">= 0", actual=label)


def check_collate_follows_the_schema(case: Case) -> None:
    """The dataset has class_names, fps and collate; collate([ds[0], ds[1]]) follows the schema."""
    ds = _dataset(case)
    missing = [a for a in ("class_names", "fps", "collate") if not hasattr(ds, a)]
    expect(
        not missing,
        "dataset attributes (docs/datasets.md)",
        expected="class_names, fps and collate",
        actual=f"missing {missing}",
    )
    b = min(2, len(ds))
    batch = ds.collate([ds[i] for i in range(b)])
    problems = batch_problems(batch, b)
    expect(
        not problems,
        f"collate of {b} samples breaks the batch schema: " + "; ".join(problems),
    )
    if isinstance(batch, dict) and "class_names" in batch:
        expect(
            list(batch["class_names"]) == list(ds.class_names),
            "batch['class_names'] vs dataset.class_names",
            expected=list(ds.class_names)[:5],
            actual=list(batch["class_names"])[:5],
        )


def check_same_seed_same_items(case: Case) -> None:
    """Two datasets built with the same params give identical first items."""
    import torch

    a, b = _dataset(case)[0], _dataset(case)[0]
    expect(a.keys() == b.keys(), "keys of ds[0], built twice", expected=sorted(a), actual=sorted(b))
    for k in a:
        same = torch.equal(a[k], b[k]) if isinstance(a[k], torch.Tensor) else a[k] == b[k]
        expect(
            same,
            f"ds[0]['{k}'] built twice with the same params and seed",
            expected=a[k],
            actual=b[k],
        )


def check_preset_resolves(case: Case) -> None:
    """A run preset validates (names, params) and its network resolves; a sweep preset validates."""
    from sen_core.catalogue import get_catalogue

    spec = get_catalogue().get(case.name, kind="preset")
    if spec.preset_kind == "sweep":
        from sen_core.sweep.spec import load_sweep

        load_sweep(case.name)
        return
    from sen_core.config import load_run_config
    from sen_core.network.validate import resolve_network

    config = load_run_config(case.name)
    resolve_network(config.model, get_catalogue())


DATASET_CHECKS = (
    check_item_follows_the_schema,
    check_collate_follows_the_schema,
    check_same_seed_same_items,
)
PRESET_CHECKS = (check_preset_resolves,)
