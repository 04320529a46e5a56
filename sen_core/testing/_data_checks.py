"""Dataset and preset conformance checks.

Datasets: an item follows the documented batch schema (sen_core.network.head, docs/tasks.md) and the same
params and seed give the same item. Presets: a run or sweep preset resolves against the installed
catalogue (every name and param checked), and a run preset's network resolves too.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case
from sen_core.testing._encoder_checks import SkipCheck

__all__ = ["DATASET_CHECKS", "PRESET_CHECKS"]

# Batch schema keys (docs/tasks.md); an item may carry any subset, plus private '_'-prefixed keys.
SCHEMA = {
    "video",
    "label",
    "class_names",
    "caption",
    "question",
    "query",
    "answer",
    "answers",
    "moments",
    "moments_seconds",
    "saliency",
    "tracks",
    "visible",
    "query_points",
    "fps",
    "duration",
    "id",
    "edit",
}


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
    assert len(ds) >= 1
    item = ds[0]
    assert isinstance(item, dict), type(item)
    unknown = sorted(k for k in item if k not in SCHEMA and not k.startswith("_"))
    assert not unknown, f"keys outside the batch schema (docs/tasks.md): {unknown}"
    if "video" in item:
        v = item["video"]
        assert isinstance(v, torch.Tensor) and v.dtype == torch.uint8, (
            type(v),
            getattr(v, "dtype", None),
        )
        assert v.ndim == 4 and v.shape[-1] == 3, tuple(v.shape)
    if "label" in item:
        assert int(item["label"]) >= 0


def check_same_seed_same_items(case: Case) -> None:
    """Two datasets built with the same params give identical first items."""
    import torch

    a, b = _dataset(case)[0], _dataset(case)[0]
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], torch.Tensor):
            assert torch.equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k


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


DATASET_CHECKS = (check_item_follows_the_schema, check_same_seed_same_items)
PRESET_CHECKS = (check_preset_resolves,)
