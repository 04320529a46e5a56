"""``predict``: a trained run's per-sample predictions on a split, in the official layout.

Batches are decoded (DataLoader workers), run through the network and its heads, and handed to
the writer of the chosen head's task (``sen_core.train.writers``) one at a time: memory does not
grow with the split. Ground truth is not needed (the QVHighlights test split has none). The file
is written under a temporary name and renamed into place only when every batch succeeded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from sen_core.errors import ConfigError, InputError
from sen_core.train.data import build_dataset, eval_loader, to_device
from sen_core.train.distributed import DistInfo, resolve_device
from sen_core.train.evaluation import load_trained
from sen_core.train.writers_scores import WRITERS  # every writer (writers + writers_scores)

if TYPE_CHECKING:
    from sen_core.network import Head

__all__ = ["predict"]


def predict(
    run_dir: str | os.PathLike[str],
    *,
    split: str = "test",
    out: str | os.PathLike[str],
    head: str | None = None,
    batch_size: int | None = None,
    batches: int | None = None,
    device: str = "auto",
    num_workers: int = 0,
) -> dict[str, Any]:
    """Write the predictions of RUN_DIR's newest checkpoint on ``split`` to ``out``.

    Args:
        run_dir: the run; split: the dataset split; out: the file to write (its suffix must be the
        writer's: ``.npz`` for tracking, ``.jsonl`` for moments); head: which head's predictions
        (default: the only head with a writer); batch_size: default the run's; batches: only the
        first N; device: auto, cpu, cuda; num_workers: DataLoader decode workers.

    Returns ``{"out", "head", "task", "samples"}``.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"output folder not found: {out.parent}")
    dev = resolve_device(device, DistInfo())
    net, config = load_trained(run_dir, device=dev)
    heads: dict[str, Head] = {hid: cast("Head", m) for hid, m in net.heads.items()}
    usable = {hid: h for hid, h in heads.items() if h.spec.task in WRITERS}
    if head is not None:
        if head not in heads:
            raise ConfigError(f"no head '{head}' in {run_dir}; heads: {', '.join(heads)}")
        if head not in usable:
            raise ConfigError(
                f"head '{head}' ({heads[head].spec.task}) has no prediction writer; "
                f"writers exist for: {', '.join(sorted(WRITERS))}"
            )
    elif len(usable) != 1:
        raise ConfigError(
            f"choose the head with --head: {', '.join(usable) or 'none'} can write predictions"
        )
    hid = head or next(iter(usable))
    h = usable[hid]
    make = WRITERS[h.spec.task]
    suffix = getattr(make, "suffix", "")
    if suffix and out.suffix != suffix:
        raise InputError(f"{out}: the {h.spec.task} predictions file must end in {suffix}")
    dataset = build_dataset(config.data, split)
    loader = eval_loader(
        dataset,
        batch_size=batch_size or config.train.batch_size,
        num_workers=num_workers,
        seed=config.train.seed,
    )
    tmp = out.with_name(f".{out.name}.part")
    writer = make(tmp, h)
    ok = False
    try:
        with torch.no_grad():
            for i, batch in enumerate(loader):
                if batches is not None and i >= batches:
                    break
                batch = to_device(batch, dev)
                output = net(batch)
                preds = h(output, batch)
                writer.write(preds, batch)
        writer.close()
        os.replace(tmp, out)
        ok = True
    finally:
        if not ok:
            writer.close()
            tmp.unlink(missing_ok=True)
    return {"out": str(out), "head": hid, "task": h.spec.task, "samples": writer.count}
