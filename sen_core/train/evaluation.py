"""Evaluation of a trained run (or any network) on a held-out split: the heads' meters -> metrics.

``evaluate(RUN_DIR)`` rebuilds the network from the run's ``config.yaml``, loads the newest
checkpoint, and returns ``{"loss": ..., "<head>/<metric>": ...}``; ``sen eval`` prints it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from sen_core.config.run_config import RunConfig
from sen_core.errors import ConfigError
from sen_core.train.checkpoint import (
    MODEL_FILE,
    check_owner,
    load_model_weights,
    read_trainer_state,
)
from sen_core.train.data import build_dataset, check_split, eval_loader, shard_dataset
from sen_core.train.distributed import dist_info_from_env, process_group, resolve_device
from sen_core.train.engine import run_eval, seed_everything
from sen_core.train.rundir import RunDir

if TYPE_CHECKING:
    from sen_core.network.network import SuperEncodingNetwork


def load_trained(
    run_dir: str | os.PathLike[str],
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
) -> tuple[SuperEncodingNetwork, RunConfig]:
    """The network of a run with its newest (or the given) checkpoint loaded, in eval mode."""
    directory = RunDir(run_dir)
    ckpt = Path(checkpoint) if checkpoint is not None else directory.require_checkpoint()
    config = directory.read_config()
    read_trainer_state(ckpt)  # verifies the checksums before anything is loaded
    # the checkpoint must be this run's: same config hash, inside its checkpoints/ (when found there)
    check_owner(
        ckpt,
        directory.root,
        config.hash(),
        checkpoints=directory.checkpoints if checkpoint is None else None,
    )
    from sen_core.catalogue.provenance import check_run_versions
    from sen_core.network import build_network

    # the same seed as training: encoders built with random weights come out identical
    seed_everything(config.train.seed)
    net = build_network(config.model)
    resolved = getattr(net, "resolved", None)
    if resolved is not None:  # frozen encoders are rebuilt, not loaded: versions change results
        check_run_versions(directory.read_info(), resolved.components(), what=str(directory.root))
    load_model_weights(ckpt / MODEL_FILE, net)
    return net.to(device).eval(), config


def evaluate(
    target: str | os.PathLike[str] | SuperEncodingNetwork,
    *,
    split: str = "test",
    config: RunConfig | None = None,
    dataset: Any = None,
    batches: int | None = None,
    batch_size: int | None = None,
    device: str = "auto",
    feature_cache: Any = None,
    num_workers: int | None = None,
) -> dict[str, float]:
    """Metrics of a run directory or a network on ``split`` (all batches unless ``batches``).

    ``num_workers`` DataLoader processes decode the videos (default: the run's
    ``train.num_workers``). Under torchrun every rank scores a contiguous part of the split and
    all ranks return the metrics of the whole split (the meters are merged, as one process's).
    """
    info = dist_info_from_env()
    dev = resolve_device(device, info)
    with process_group(info, dev):
        if isinstance(target, nn.Module):
            net = target.to(dev)
            if config is None and dataset is None:
                raise ConfigError("evaluate(net) needs a config (for the dataset) or a dataset")
        else:
            if dataset is None:  # a split the dataset lacks is refused before the network is built
                run = RunDir(target)
                run.require_checkpoint()  # a missing run directory is named as such first
                check_split((config or run.read_config()).data, split)
            net, run_config = load_trained(target, device=dev)
            config = config or run_config
        if dataset is None:
            assert config is not None  # refused above: a network without a dataset needs a config
            dataset = build_dataset(config.data, split)
        size = batch_size or (config.train.batch_size if config is not None else 8)
        seed = config.train.seed if config is not None else 0
        bf16 = config.train.bf16 if config is not None else False
        if num_workers is None:
            num_workers = config.train.num_workers if config is not None else 0
        if info.enabled:  # a contiguous part each; the first `batches` batches of the whole split
            limit = None if batches is None else batches * size
            dataset = shard_dataset(dataset, info.rank, info.world_size, limit=limit)
            batches = None
        loader = eval_loader(dataset, batch_size=size, seed=seed, num_workers=num_workers)
        return run_eval(
            net,
            loader,
            device=dev,
            bf16=bf16,
            max_batches=batches,
            feature_cache=feature_cache,
            merge_ranks=info.enabled,
        )
