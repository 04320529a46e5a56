"""The training engine: ``train(config, run_dir)`` turns a RunConfig into a trained run directory.

Data flow per optimizer step: ``accumulate`` micro-batches -> net.step(batch, cache) (network,
heads, losses) -> backward (DDP averages gradients across ranks) -> clip -> NaN guard -> AdamW ->
LambdaLR (warm-up + cosine). Rank 0 logs, evaluates on the held-out split, and checkpoints.
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from sen_core._io import atomic_write_json
from sen_core.config.run_config import RunConfig
from sen_core.errors import ConfigError, InputError, SenError
from sen_core.train import distributed
from sen_core.train.checkpoint import (
    capture_rng,
    check_owner,
    load_checkpoint,
    nonfinite_tensors,
    restore_rng,
    save_checkpoint,
)
from sen_core.train.data import BatchStream, build_dataset, eval_loader, to_device
from sen_core.train.logging import MetricsLog, plot_curves
from sen_core.train.optim import make_optimizer
from sen_core.train.rundir import RunDir, step_dir_name
from sen_core.train.schedule import make_scheduler
from sen_core.train.trackers import open_run_trackers

if TYPE_CHECKING:
    from sen_core.network.network import SuperEncodingNetwork


class DivergedError(SenError):
    """The loss or the gradient norm became NaN or infinite; the run stopped without saving."""


def seed_everything(seed: int) -> None:
    """Seed python, NumPy and torch (CPU and every CUDA device) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds all CUDA devices


class _StepModule(nn.Module):
    """forward = network + heads + losses, so DDP sees the whole step as one forward call."""

    def __init__(self, net: SuperEncodingNetwork) -> None:
        super().__init__()
        self.net = net

    def forward(self, batch: dict[str, Any], cache: Any = None) -> dict[str, Tensor]:
        return self.net.step(batch, cache)[2]


@torch.no_grad()
def run_eval(
    net: SuperEncodingNetwork,
    batches: Any,
    *,
    device: torch.device,
    bf16: bool = False,
    max_batches: int | None = None,
    feature_cache: Any = None,
    merge_ranks: bool = False,
) -> dict[str, float]:
    """Mean losses and every head meter's metrics over ``batches`` -> {"loss", "<head>/<metric>"}.

    RNG states are restored afterwards, so evaluating never changes what training does next.
    ``merge_ranks``: under torchrun each rank passed its own part of the split; the meters and
    losses of every rank are merged (in rank order) and every rank returns the whole split's.
    """
    rng = capture_rng()
    was_training = net.training
    net.eval()
    meters = net.meters()
    sums: dict[str, float] = defaultdict(float)
    n = 0
    shared = merge_ranks and distributed.active()
    error: Exception | None = None
    try:
        for i, batch in enumerate(batches):
            if max_batches is not None and i >= max_batches:
                break
            batch = to_device(batch, device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                _, preds, losses = net.step(batch, feature_cache)
            for hid, meter in meters.items():
                meter.update(preds[hid], batch)
            for k, v in losses.items():
                sums["loss" if k == "total" else f"loss/{k}"] += float(v)
            n += 1
    except Exception as exc:  # every rank must reach the merge, or the others wait forever
        if not shared:
            raise
        error = exc
    finally:
        net.train(was_training)
        restore_rng(rng)
    if shared:
        meters, sums, n = _merge_ranks(net, meters, sums, n, error)
    # "loss" first, then per-head losses, then each head's metrics
    metrics = {k: sums[k] / max(n, 1) for k in sorted(sums, key=lambda k: (k != "loss", k))}
    for hid, meter in meters.items():
        for k, value in meter.compute().items():
            metrics[f"{hid}/{k}"] = float(value)
    return metrics


def _merge_ranks(
    net: SuperEncodingNetwork,
    meters: dict[str, Any],
    sums: dict[str, float],
    n: int,
    error: Exception | None = None,
) -> tuple[dict[str, Any], dict[str, float], int]:
    """Every rank's meters (their ``state`` attributes), loss sums and batch counts, combined.

    A rank that failed sends its error instead: every rank then raises (its own error, or
    ``InputError`` naming the failed rank), so no rank waits for the others forever.
    """

    def payload(m: Any) -> Any:
        return {k: getattr(m, k) for k in m.state} if m.state else m

    mine = (
        None
        if error is not None
        else ({hid: payload(m) for hid, m in meters.items()}, dict(sums), n)
    )
    gathered = distributed.gather_objects(
        (mine, None if error is None else f"{type(error).__name__}: {error}")
    )
    if error is not None:
        raise error
    for r, (_, msg) in enumerate(gathered):
        if msg is not None:
            raise InputError(f"evaluation: rank {r} failed: {msg}")
    parts = [p for p, _ in gathered]
    merged = net.meters()
    total: dict[str, float] = defaultdict(float)
    count = 0
    for states, part_sums, part_n in parts:
        for hid, state in states.items():
            other = state
            if isinstance(state, dict):
                other = net.meters()[hid]
                for k, v in state.items():
                    setattr(other, k, v)
            merged[hid].merge(other)
        for k, v in part_sums.items():
            total[k] += v
        count += part_n
    return merged, total, count


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    feature_cache: Any = None,
    progress: bool = True,
    model: SuperEncodingNetwork | None = None,
    datasets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``config`` into ``run_dir`` and return the final metrics.

    ``model`` (any module with the SuperEncodingNetwork methods) and ``datasets`` (split ->
    Dataset) replace what the config would build. Under torchrun the job is data-parallel.
    Raises ``DivergedError`` on a NaN/inf loss, ``CheckpointError`` on a bad checkpoint,
    ``ConfigError`` on a config that does not match the run directory.
    """
    problem = config.loss_problem() if model is None else None
    if problem:  # refused before the run directory is touched
        raise ConfigError(f"{config.name}: {problem}")
    info = distributed.dist_info_from_env()
    device = distributed.resolve_device(config.train.device, info)
    with distributed.process_group(info, device):
        trainer = _Trainer(
            config,
            Path(run_dir),
            info=info,
            device=device,
            resume=resume,
            feature_cache=feature_cache,
            progress=progress,
            model=model,
            datasets=datasets,
        )
        return trainer.run()


class _Trainer:
    def __init__(
        self,
        config: RunConfig,
        run_dir: Path,
        *,
        info: distributed.DistInfo,
        device: torch.device,
        resume: bool,
        feature_cache: Any,
        progress: bool,
        model: SuperEncodingNetwork | None,
        datasets: dict[str, Any] | None,
    ) -> None:
        self.config, self.spec = config, config.train
        self.run_dir = RunDir(run_dir)
        self.info, self.device = info, device
        self.feature_cache, self.progress = feature_cache, progress and info.is_main
        self.datasets = dict(datasets or {})
        self.log = MetricsLog(self.run_dir.metrics, enabled=info.is_main)

        seed_everything(self.spec.seed)
        if model is None:
            from sen_core.network import build_network

            model = build_network(config.model)
        self.net = model.to(device)
        self.net.train()
        self.optimizer = make_optimizer(self.net, self.spec)
        self.params = [p for g in self.optimizer.param_groups for p in g["params"]]
        self.scheduler = make_scheduler(
            self.optimizer, warmup_steps=self.spec.warmup_steps, total_steps=self.spec.steps
        )
        self.step = 0
        self.last_saved: Path | None = None
        # the unfinished logging window travels in the checkpoint, so a resumed log is identical
        self.window: dict[str, list[float]] = defaultdict(list)
        self._plotted = time.perf_counter()
        # build the datasets (and the batch order) before the run directory is written: a bad
        # dataset, or fewer samples than one batch, leaves nothing
        self.source = BatchStream(
            self._dataset("train"),
            batch_size=self.spec.batch_size,
            seed=self.spec.seed,
            info=self.info,
            num_workers=self.spec.num_workers,
            pin_memory=device.type == "cuda",
        )
        if info.is_main:
            self._dataset(self.spec.eval_split)
        self._restore(resume)
        try:
            # train.loggers (TensorBoard, MLflow) receive every metrics record from here on
            self.tracker = open_run_trackers(
                config, self.run_dir.root, step=self.step, net=self.net, enabled=info.is_main
            )
        except BaseException as exc:  # run.json says running since _restore: never leave it so
            if info.is_main:
                self._write_status("failed", exc)
            raise
        self.log.tracker = self.tracker

        # DDP(_StepModule) when distributed: both run the step; only DDP has no_sync
        self.step_module: Any = _StepModule(self.net)
        if distributed.active():
            from torch.nn.parallel import DistributedDataParallel as DDP

            # find_unused_parameters: a trainable tensor may get no gradient in a step (a prompt
            # of a neuron the block does not re-run, a head with weight 0)
            self.step_module = DDP(
                self.step_module,
                device_ids=[device.index] if device.type == "cuda" else None,
                find_unused_parameters=True,
            )

    # ---- set-up ------------------------------------------------------------------------------
    def _dataset(self, split: str) -> Any:
        if split not in self.datasets:
            self.datasets[split] = build_dataset(self.config.data, split)
        return self.datasets[split]

    def _restore(self, resume: bool) -> None:
        run_dir, config = self.run_dir, self.config
        existing = run_dir.latest_checkpoint() if run_dir.checkpoints.is_dir() else None
        if existing is not None and not resume:
            raise SenError(
                f"run directory {run_dir.root} already holds a run (checkpoint {existing.name}); "
                "pass --resume to continue it, or choose another --run-dir"
            )
        old_hash = run_dir.read_info().get("config_hash")
        if resume and old_hash and old_hash != config.hash():
            raise ConfigError(
                f"cannot resume {run_dir.root}: it was trained with config hash {old_hash}, this config hashes "
                f"to {config.hash()} (see {run_dir.config}); use the same config or another --run-dir"
            )
        if resume and existing is not None:
            from sen_core.catalogue.provenance import check_run_versions

            resolved = getattr(self.net, "resolved", None)
            if resolved is not None:  # frozen encoders come from the installed plugins
                check_run_versions(
                    run_dir.read_info(), resolved.components(), what=str(run_dir.root)
                )
            # not another run's checkpoint (swapped in, symlinked or with an edited hash)
            check_owner(existing, run_dir.root, config.hash(), checkpoints=run_dir.checkpoints)
            state = load_checkpoint(
                existing, model=self.net, optimizer=self.optimizer, scheduler=self.scheduler
            )
            if state.get("world_size", 1) != self.info.world_size:
                raise ConfigError(
                    f"checkpoint {existing} was written by {state.get('world_size')} process(es); resuming with "
                    f"{self.info.world_size} would change the data order; relaunch with --nproc_per_node={state.get('world_size')}"
                )
            self.step = int(state["step"])
            self.window.update(state.get("log_window", {}))
            self.last_saved = existing
        elif resume and self.progress:
            print(f"no checkpoint in {run_dir.checkpoints}; starting from step 0", file=sys.stderr)
        if self.info.is_main:
            run_dir.root.mkdir(parents=True, exist_ok=True)
            run_dir.write_config(config)
            run_dir.write_info(
                config,
                world_size=self.info.world_size,
                status="running",
                resumed_from=self.step or None,
            )
            self.log.reset(keep_until_step=self.step if self.step else None)
        distributed.barrier()

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        spec = self.spec
        total = spec.steps
        self._start = self.step
        if (
            self.step >= total and self.run_dir.final.is_file()
        ):  # resuming a finished run: nothing to do
            return self._finish(
                self.run_dir.read_final() if self.info.is_main else {"step": self.step}
            )
        source = self.source
        source.seek(self.step * spec.accumulate)
        stream = iter(source)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=total,
                initial=self.step,
                desc=self.config.name,
                unit="step",
                dynamic_ncols=True,
                file=sys.stderr,
            )
        window = self.window
        t0 = time.perf_counter()
        try:
            while self.step < total:
                values = self._one_step(stream)
                self.step += 1
                for k, v in values.items():
                    window[k].append(v)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(
                        loss=f"{values['loss']:.4g}", lr=f"{values['lr']:.2e}", refresh=False
                    )
                if self.step % spec.log_every == 0 or self.step == total:
                    means = {
                        k: sum(v) / len(v) for k, v in window.items()
                    }  # already averaged over ranks
                    self.log.write(
                        {
                            "kind": "train",
                            "step": self.step,
                            **means,
                            "epoch": source.epoch,
                            "time_s": round(time.perf_counter() - t0, 3),
                        }
                    )
                    window.clear()
                if (
                    spec.eval_every is not None
                    and self.step % spec.eval_every == 0
                    and self.step != total
                ):
                    self._evaluate_and_log()
                if self.step % spec.checkpoint_every == 0 or self.step == total:
                    self._save()
            if self.last_saved is None or self.last_saved.name != step_dir_name(self.step):
                self._save()  # e.g. steps=0, or a finished run resumed
            final = {"step": self.step, **self._evaluate_and_log()}
        except BaseException as exc:
            if self.info.is_main:
                status = (
                    "diverged"
                    if isinstance(exc, DivergedError)
                    else ("stopped" if self.step > self._start else "failed")
                )
                self._write_status(status, exc)
                with contextlib.suppress(Exception):  # the original error matters more
                    self._plot()
                self.tracker.finish(
                    status,
                    final={"step": self.step},
                    artifacts=[self.run_dir.config, self.run_dir.curves],
                )
            raise
        finally:
            if bar is not None:
                bar.close()
        if self.info.is_main:
            atomic_write_json(self.run_dir.final, final)
            self._plot()
        return self._finish(final)

    def _write_status(self, status: str, exc: BaseException) -> None:
        self.run_dir.write_info(
            self.config,
            world_size=self.info.world_size,
            status=status,
            error=f"{type(exc).__name__}: {exc}",
            steps_done=self.step,
            last_checkpoint=self.last_saved.name if self.last_saved else None,
        )

    def _finish(self, final: dict[str, Any]) -> dict[str, Any]:
        if self.info.is_main:
            self.run_dir.write_info(
                self.config,
                world_size=self.info.world_size,
                status="finished",
                steps_done=self.step,
                last_checkpoint=self.last_saved.name if self.last_saved else None,
            )
            rd = self.run_dir
            self.tracker.finish(
                "finished", final=final, artifacts=[rd.config, rd.curves, rd.final, rd.info]
            )
        distributed.barrier()
        return final

    def _one_step(self, stream: Any) -> dict[str, float]:
        spec = self.spec
        acc = spec.accumulate
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = defaultdict(float)
        for a in range(acc):
            batch = to_device(next(stream), self.device)
            last = a == acc - 1
            # skip the gradient all-reduce on all but the last micro-batch
            sync = nullcontext() if last or not distributed.active() else self.step_module.no_sync()
            with sync:
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=spec.bf16):
                    losses = self.step_module(batch, self.feature_cache)
                (losses["total"].float() / acc).backward()
            for k, v in losses.items():
                sums["loss" if k == "total" else f"loss/{k}"] += float(v.detach()) / acc
        max_norm = spec.grad_clip if spec.grad_clip is not None else math.inf
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, max_norm))
        # one all-reduce: every rank logs the same means and the NaN guard decides on shared values,
        # so all ranks stop at the same step with the same message
        shared = distributed.mean_across({**sums, "grad_norm": grad_norm}, self.device)
        if not (math.isfinite(shared["loss"]) and math.isfinite(shared["grad_norm"])):
            raise self._diverged(shared["loss"], shared["grad_norm"])
        # the unscaled lr of this update (train.lr_scale multiplies it per group)
        lr = spec.lr * self.scheduler.lr_lambdas[0](self.scheduler.last_epoch)
        self.optimizer.step()
        self.scheduler.step()
        return {**shared, "lr": lr}

    def _diverged(self, loss: float, grad_norm: float) -> DivergedError:
        step = self.step + 1
        what = (
            f"loss is {loss}"
            if not math.isfinite(loss)
            else f"gradient norm is {grad_norm} (loss {loss:.4g})"
        )
        if self.last_saved is not None:
            kept = f"the last good checkpoint {self.last_saved} (step {int(self.last_saved.name[5:])}) is kept"
        else:
            kept = "no checkpoint had been written yet"
        msg = (
            f"training diverged at step {step}: {what}; stopped without saving, {kept}. "
            "Lower train.lr, set train.grad_clip, or check the data"
        )
        self.log.write({"kind": "event", "event": "diverged", "step": step, "message": msg})
        return DivergedError(msg)

    # ---- evaluation, checkpoints, plots ------------------------------------------------------
    def _evaluate_and_log(self) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.info.is_main:
            spec = self.spec
            loader = eval_loader(
                self._dataset(spec.eval_split),
                batch_size=spec.batch_size,
                num_workers=spec.num_workers,
                seed=spec.seed,
            )
            metrics = run_eval(
                self.net,
                loader,
                device=self.device,
                bf16=spec.bf16,
                max_batches=spec.eval_batches,
                feature_cache=self.feature_cache,
            )
            self.log.write({"kind": "eval", "step": self.step, "split": spec.eval_split, **metrics})
        distributed.barrier()
        return metrics

    def _save(self) -> None:
        # the NaN guard's promise: every kept checkpoint holds finite weights and moments
        bad = nonfinite_tensors(self.net, self.optimizer)
        if bad:
            kept = (
                f"the last good checkpoint {self.last_saved} is kept"
                if self.last_saved
                else "no checkpoint had been written yet"
            )
            msg = (
                f"training diverged at step {self.step}: {len(bad)} tensor(s) are not finite "
                f"(e.g. {bad[0]}); not saved, {kept}. "
                "Lower train.lr, set train.grad_clip, or check the data"
            )
            self.log.write(
                {"kind": "event", "event": "diverged", "step": self.step, "message": msg}
            )
            raise DivergedError(msg)
        if self.info.is_main:
            trainer = {
                "micro_batches": self.step * self.spec.accumulate,
                "world_size": self.info.world_size,
                "config_hash": self.config.hash(),
                "seed": self.spec.seed,
                "log_window": dict(self.window),
            }
            meta = {
                "config_hash": self.config.hash(),
                "sen_spec": self.config.model.canonical_json(),
            }
            save_checkpoint(
                self.run_dir.checkpoints,
                self.step,
                model=self.net,
                optimizer=self.optimizer,
                scheduler=self.scheduler,
                trainer=trainer,
                metadata=meta,
                keep=self.spec.keep_checkpoints,
            )
            if (
                time.perf_counter() - self._plotted > 60
            ):  # a live view for long runs, cheap for short ones
                self._plot()
        self.last_saved = self.run_dir.checkpoints / step_dir_name(self.step)
        distributed.barrier()

    def _plot(self) -> None:
        self._plotted = time.perf_counter()
        plot_curves(
            self.log.records(),
            self.run_dir.curves,
            title=f"{self.config.name} ({self.config.hash()[:8]})",
        )
