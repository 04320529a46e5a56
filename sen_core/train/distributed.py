"""Data-parallel training under torchrun: process-group set-up, rank helpers, collective checks.

torchrun sets WORLD_SIZE / RANK / LOCAL_RANK; the engine then wraps the model in DDP (gloo on CPU,
NCCL on CUDA), shards data with DistributedSampler, and lets only rank 0 write to the run dir.
``sen eval`` / ``sen predict`` split a split into contiguous parts (``shard_bounds``: rank order is
sample order) and combine what each rank found (``gather_objects``). Without those variables
everything here is a single-process no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info_from_env() -> DistInfo:
    return DistInfo(
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
        rank=int(os.environ.get("RANK", "0")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )


def resolve_device(name: str, info: DistInfo) -> torch.device:
    """'auto' -> cuda:LOCAL_RANK when CUDA is available, else cpu; 'cuda' picks LOCAL_RANK too."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):  # checked here: torch's own error is a traceback about drivers
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(name[5:]) if name[5:] else info.local_rank
        if index >= n:
            from sen_core.errors import ConfigError

            raise ConfigError(
                f"train.device: '{name}' is not on this machine ({n} CUDA device(s)); "
                "use train.device=auto or cpu"
            )
    if name == "mps" and not torch.backends.mps.is_available():
        from sen_core.errors import ConfigError

        raise ConfigError("train.device: 'mps' is not available on this machine; use auto or cpu")
    if name == "cuda":
        return torch.device("cuda", info.local_rank)
    return torch.device(name)


@contextmanager
def process_group(info: DistInfo, device: torch.device) -> Iterator[bool]:
    """Initialise the default process group for the job (if needed) and tear it down after.

    Yields whether this call created the group; a group the caller made is left alone.
    """
    created = False
    if info.enabled and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
        created = True
    try:
        yield created
    finally:
        if created and dist.is_initialized():
            dist.destroy_process_group()


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def barrier() -> None:
    if active():
        dist.barrier()


def mean_across(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Average scalar metrics over ranks (for logging: every rank saw different data)."""
    if not active() or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    t /= dist.get_world_size()
    means = dict(zip(keys, t.tolist(), strict=True))
    return {k: means[k] for k in values}  # the caller's key order


def shard_bounds(n: int, rank: int, world_size: int) -> tuple[int, int]:
    """``[lo, hi)``: rank ``rank``'s contiguous part of ``n`` items (parts differ by at most one).

    Args:
        n: items; rank: this part; world_size: parts.
    """
    return n * rank // world_size, n * (rank + 1) // world_size


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable) in rank order, on every rank; ``[obj]`` outside a job.

    Args:
        obj: this rank's contribution.
    """
    if not active():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out
