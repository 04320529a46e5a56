"""Datasets and loaders for training and evaluation: catalogue look-up, sharding, resumable order.

The training order is a pure function of (seed, epoch): DistributedSampler shuffles each epoch
with ``seed + epoch`` and shards it over ranks, so a resumed run skips straight to its position
instead of replaying the data. Every DataLoader gets its own seeded generator: creating one never
draws from the global torch RNG (which would make a resumed run differ).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from sen_core.config.run_config import DataEntry
from sen_core.errors import ConfigError
from sen_core.train.distributed import DistInfo


def build_dataset(data: DataEntry, split: str) -> Dataset[Any]:
    """``factory(spec, split=split, **params)`` of the catalogue dataset ``data.name``."""
    from sen_core.catalogue import import_ref
    from sen_core.params import call_factory, check_params

    spec = check_split(data, split)
    check_params(spec, data.params)
    dataset: Dataset[Any] = call_factory(
        spec, import_ref(spec.factory), split=split, **{**spec.params, **data.params}
    )
    return dataset


def check_split(data: DataEntry, split: str, key: str = "split") -> Any:
    """The dataset's spec, after refusing a split it does not declare (ConfigError naming ``key``,
    with a did-you-mean)."""
    from sen_core.catalogue import get_catalogue

    spec = get_catalogue().get(data.name, kind="dataset")
    problem = spec.split_problem(split)
    if problem is not None:
        raise ConfigError(f"{key}: {problem}")
    return spec


def collate_fn(dataset: Dataset[Any]) -> Any:
    from torch.utils.data import default_collate

    return getattr(dataset, "collate", None) or default_collate


def to_device(obj: Any, device: torch.device) -> Any:
    """Move every tensor inside dicts/lists/tuples to ``device``; strings and numbers stay."""
    if isinstance(obj, Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and any(
        isinstance(v, (Tensor, dict, list, tuple)) for v in obj
    ):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


def seed_worker(worker_id: int) -> None:
    """DataLoader worker init: seed NumPy and ``random`` from the worker's torch seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


class _Skip(Sampler[int]):
    """The first ``skip`` indices of ``base`` are dropped (resuming inside an epoch)."""

    def __init__(self, base: DistributedSampler[int], skip: int) -> None:
        self.base, self.skip = base, skip

    def __iter__(self) -> Iterator[int]:
        for i, idx in enumerate(self.base):
            if i >= self.skip:
                yield idx

    def __len__(self) -> int:
        return max(0, len(self.base) - self.skip)


class BatchStream:
    """An endless, resumable stream of this rank's training batches (epoch after epoch)."""

    def __init__(
        self,
        dataset: Dataset[Any],
        *,
        batch_size: int,
        seed: int,
        info: DistInfo,
        num_workers: int = 0,
        start: int = 0,
        pin_memory: bool = False,
        split: str = "train",
    ) -> None:
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.sampler: DistributedSampler[int] = DistributedSampler(
            dataset,
            num_replicas=info.world_size,
            rank=info.rank,
            shuffle=True,
            seed=seed,
            drop_last=True,
        )
        self.per_epoch = len(self.sampler) // batch_size
        if self.per_epoch == 0:
            # torch's Dataset declares no __len__; DistributedSampler above needed one already
            raise ConfigError(
                f"the '{split}' split has {len(dataset)} samples, fewer than one batch "  # type: ignore[arg-type]
                f"(train.batch_size={batch_size} x {info.world_size} process(es)); "
                "lower train.batch_size or use more data"
            )
        self.seek(start)

    def seek(self, start: int) -> None:
        """Continue after ``start`` batches (a resumed run's position)."""
        self.epoch, self.offset = divmod(start, self.per_epoch)

    def __iter__(self) -> Iterator[Any]:
        while True:
            self.sampler.set_epoch(self.epoch)
            set_epoch = getattr(self.dataset, "set_epoch", None)
            if callable(set_epoch):  # e.g. a random caption per video per epoch (MSR-VTT)
                set_epoch(self.epoch)
            loader = DataLoader(
                self.dataset,
                batch_size=self.batch_size,
                sampler=_Skip(self.sampler, self.offset * self.batch_size),
                drop_last=True,
                num_workers=self.num_workers,
                collate_fn=collate_fn(self.dataset),
                generator=torch.Generator().manual_seed(self.seed * 100_003 + self.epoch),
                worker_init_fn=seed_worker,
                pin_memory=self.pin_memory,
            )
            yield from loader
            self.offset = 0
            self.epoch += 1


def eval_loader(
    dataset: Dataset[Any], *, batch_size: int, num_workers: int = 0, seed: int = 0
) -> DataLoader[Any]:
    """In-order batches of a held-out split (the last partial batch included)."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate_fn(dataset),
        generator=torch.Generator().manual_seed(seed),
        worker_init_fn=seed_worker,
    )


class _Part(Dataset[Any]):
    """Items ``[lo, hi)`` of ``base``; keeps its ``collate``."""

    def __init__(self, base: Dataset[Any], lo: int, hi: int) -> None:
        self.base, self.lo, self.hi = base, lo, hi
        self.collate = getattr(base, "collate", None)

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.base[self.lo + i]


def shard_dataset(
    dataset: Dataset[Any], rank: int, world_size: int, *, limit: int | None = None
) -> Dataset[Any]:
    """Rank ``rank``'s contiguous part of the first ``limit`` items (all when None) of ``dataset``.

    Contiguous parts concatenated in rank order are the split in its own order, so meters merged
    rank by rank and prediction files joined rank by rank match a single process's.

    Args:
        dataset: a map-style dataset with ``__len__``; rank, world_size: the part; limit: items.
    """
    from sen_core.train.distributed import shard_bounds

    n = len(dataset)  # type: ignore[arg-type]
    if limit is not None:
        n = min(n, limit)
    if world_size == 1 and n == len(dataset):  # type: ignore[arg-type]
        return dataset
    lo, hi = shard_bounds(n, rank, world_size)
    return _Part(dataset, lo, hi)
