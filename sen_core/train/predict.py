"""``predict``: a trained run's per-sample predictions on a split, in the official layout.

Batches are decoded (DataLoader workers), run through the network and its heads, and handed to
the writer of the chosen head's task (``sen_core.train.writers``) one at a time: memory does not
grow with the split. Ground truth is not needed (the QVHighlights test split has none). The file
is written under a temporary name and renamed into place only when every batch succeeded; under
torchrun the ranks write contiguous parts that rank 0 joins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from sen_core.errors import ConfigError, InputError
from sen_core.train.data import build_dataset, eval_loader, shard_dataset, to_device
from sen_core.train.distributed import (
    DistInfo,
    barrier,
    dist_info_from_env,
    gather_objects,
    process_group,
    resolve_device,
)
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
    num_workers: int | None = None,
    visualize: str | os.PathLike[str] | None = None,
    visualize_samples: int = 4,
) -> dict[str, Any]:
    """Write the predictions of RUN_DIR's newest checkpoint on ``split`` to ``out``.

    Args:
        run_dir: the run; split: the dataset split; out: the file to write (its suffix must be the
        writer's: ``.npz`` for tracking, ``.jsonl`` for moments); head: which head's predictions
        (default: the only head with a writer); batch_size: default the run's; batches: only the
        first N; device: auto, cpu, cuda; num_workers: DataLoader decode workers (default: the
        run's ``train.num_workers``); visualize: a folder for pictures of the first
        ``visualize_samples`` samples (``sen_core.train.visualize``), drawn once the file is
        complete (by rank 0 under torchrun, of its part).

    Under torchrun every rank predicts a contiguous part of the split into its own part file and
    rank 0 joins the parts in rank order (the writer's ``merge``), so the file is the one a single
    process writes; a writer that cannot be joined (``shardable = False``) runs on rank 0 alone.

    Returns ``{"out", "head", "task", "samples", "pictures"}`` (picture paths, [] without
    ``visualize``).
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"output folder not found: {out.parent}")
    pictures = None if visualize is None else Path(visualize)
    if pictures is not None and not pictures.parent.is_dir():
        raise InputError(f"--visualize: parent folder not found: {pictures.parent}")
    info = dist_info_from_env()
    dev = resolve_device(device, info)
    with process_group(info, dev):
        return _predict(
            run_dir, split, out, head, batch_size, batches, dev, num_workers, info,
            pictures, visualize_samples,
        )  # fmt: skip


def _predict(
    run_dir: str | os.PathLike[str],
    split: str,
    out: Path,
    head: str | None,
    batch_size: int | None,
    batches: int | None,
    dev: torch.device,
    num_workers: int | None,
    info: DistInfo,
    pictures: Path | None,
    n_pictures: int,
) -> dict[str, Any]:
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
    painter = None
    if pictures is not None:
        from sen_core.train.visualize import VISUALIZERS

        if h.spec.task not in VISUALIZERS:
            raise ConfigError(
                f"--visualize: no pictures for the {h.spec.task} task; "
                f"they exist for: {', '.join(sorted(VISUALIZERS))}"
            )
        if info.is_main:
            painter = VISUALIZERS[h.spec.task](h, n_pictures)
    size = batch_size or config.train.batch_size
    workers = config.train.num_workers if num_workers is None else num_workers
    world = info.world_size if getattr(make, "shardable", False) else 1
    tmp = out.with_name(f".{out.name}.part")
    mine = out.with_name(f".{out.name}.part{info.rank}") if world > 1 else tmp
    count, error = 0, None
    if info.rank < world:
        try:
            dataset = build_dataset(config.data, split)
            if world > 1 or batches is not None:
                limit = None if batches is None else batches * size
                dataset = shard_dataset(dataset, info.rank, world, limit=limit)
            loader = eval_loader(
                dataset, batch_size=size, num_workers=workers, seed=config.train.seed
            )
            count = _write(net, h, make, loader, mine, dev, painter)
        except Exception as exc:  # every rank must reach the gather below, or the job hangs
            if not info.enabled:
                raise
            error = exc
    results = gather_objects((count, None if error is None else f"{type(error).__name__}: {error}"))
    failed = [(r, msg) for r, (_, msg) in enumerate(results) if msg is not None]
    parts = [out.with_name(f".{out.name}.part{r}") for r in range(world)] if world > 1 else []
    try:
        if failed:
            if error is not None:
                raise error
            r, msg = failed[0]
            raise InputError(f"sen predict: rank {r} failed: {msg}")
        if info.is_main:
            if parts:
                make.merge(parts, tmp)  # type: ignore[attr-defined]
            os.replace(tmp, out)
    finally:
        if info.is_main:
            for p in parts:
                p.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)
    drawn: list[str] = []
    if painter is not None and pictures is not None:
        pictures.mkdir(exist_ok=True)
        drawn = [str(p) for p in painter.draw(pictures)]
    barrier()
    total = sum(c for c, _ in results)
    return {"out": str(out), "head": hid, "task": h.spec.task, "samples": total, "pictures": drawn}


def _write(
    net: Any, h: Any, make: Any, loader: Any, path: Path, dev: torch.device, painter: Any = None
) -> int:
    """Stream every batch's predictions into ``path`` (removed again if anything fails)."""
    writer = make(path, h)
    ok = False
    try:
        with torch.no_grad():
            for batch in loader:
                batch = to_device(batch, dev)
                output = net(batch)
                preds = h(output, batch)
                writer.write(preds, batch)
                if painter is not None:
                    painter.add(preds, batch)
        writer.close()
        ok = True
    finally:
        if not ok:
            writer.close()
            path.unlink(missing_ok=True)
    return int(writer.count)
