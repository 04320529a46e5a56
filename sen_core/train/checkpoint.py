"""Training checkpoints: safetensors tensors + JSON trainer state, written atomically, no pickle.

One checkpoint is a directory ``checkpoints/step_NNNNNN/`` holding ``model.safetensors`` (trainable
parameters and buffers, the resolved spec in the metadata), ``optimizer.safetensors`` (AdamW
moments keyed by parameter name) and ``trainer.json`` (step, data position, scheduler, RNG states,
optimizer hyper-parameters, sha256 of both tensor files) and ``trainer.sha256`` (the sha256 of
``trainer.json`` itself, so every byte of a checkpoint is covered). The directory is built under a temporary
name and renamed into place; ``checkpoints/latest`` then names it. Nothing here can execute code
on load, so a shared run directory is safe to resume or evaluate.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from sen_core._io import atomic_write_json, atomic_write_text, loads_json, sha256_file
from sen_core.errors import CheckpointError
from sen_core.train.rundir import LATEST, latest_checkpoint, list_checkpoints, step_dir_name

FORMAT = 1
MODEL_FILE = "model.safetensors"
OPTIM_FILE = "optimizer.safetensors"
TRAINER_FILE = "trainer.json"
TRAINER_SUM_FILE = (
    "trainer.sha256"  # sha256 of trainer.json (which holds those of the tensor files)
)


# ---- model weights ---------------------------------------------------------------------------


def trainable_state(model: nn.Module) -> dict[str, Tensor]:
    """Everything a checkpoint must restore: trainable parameters and all persistent buffers.

    Frozen parameters (the pretrained encoders) are rebuilt from their own weights, so they are
    left out; buffers are kept because training may change them (e.g. norm statistics).
    """
    frozen = {n for n, p in model.named_parameters(remove_duplicate=False) if not p.requires_grad}
    return {k: v for k, v in model.state_dict().items() if k not in frozen}


def _to_cpu_contiguous(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    # clone: safetensors refuses tensors that share storage (tied weights, views)
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}


def save_model_weights(
    path: Path, model: nn.Module, metadata: dict[str, str] | None = None
) -> None:
    from safetensors.torch import save_file

    save_file(
        _to_cpu_contiguous(trainable_state(model)),
        str(path),
        metadata={"format": "pt", **(metadata or {})},
    )


def _load_safetensors(path: Path) -> dict[str, Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read checkpoint file {path}: {exc}") from None


# |x| above sqrt(float32 max): a product of two such weights overflows to inf. No trained weight
# or optimizer moment comes near it; a checkpoint holding one was damaged or forged.
HUGE = 1.8e19


def check_finite(path: Path, tensors: dict[str, Tensor], limit: float | None = HUGE) -> None:
    """Refuse tensors holding NaN, infinity or magnitudes above ``limit`` (naming the first)."""
    for k, v in tensors.items():
        if not v.is_floating_point() or v.numel() == 0:
            continue
        if not bool(torch.isfinite(v).all()):
            raise CheckpointError(
                f"checkpoint file {path}: tensor '{k}' holds NaN or infinity; refusing to load it"
            )
        peak = float(v.detach().abs().max()) if limit is not None else 0.0
        if limit is not None and peak > limit:
            raise CheckpointError(
                f"checkpoint file {path}: tensor '{k}' holds {peak:.3g}, above {limit:.2g} (no "
                "trained weight is that large); refusing to load it"
            )


def load_model_weights(path: str | Path, model: nn.Module) -> None:
    """Load ``model.safetensors`` into ``model``; every trainable tensor must be present and match,
    and be finite and below ``HUGE``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} does not exist")
    tensors = _load_safetensors(path)
    _check_model_tensors(path, tensors, model)
    check_finite(path, tensors)
    with torch.no_grad():
        model.load_state_dict(tensors, strict=False)


# ---- optimizer state -------------------------------------------------------------------------


def _param_names(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """Names of the optimizer's parameters in its own index order."""
    by_id = {id(p): n for n, p in model.named_parameters()}
    names = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) not in by_id:
                raise CheckpointError(
                    "the optimizer holds a parameter that is not part of the model"
                )
            names.append(by_id[id(p)])
    return names


def optimizer_to_tensors_json(
    model: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (safetensors) and JSON, keyed by parameter name."""
    names = _param_names(model, optimizer)
    sd = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    extra: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        name = names[idx]
        for key, value in state.items():
            if isinstance(value, Tensor):
                tensors[f"{name}::{key}"] = value
            else:
                extra.setdefault(name, {})[key] = value
    groups = []
    for group in sd["param_groups"]:
        g = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items() if k != "params"}
        g["params"] = [names[i] for i in group["params"]]
        groups.append(g)
    return _to_cpu_contiguous(tensors), {"param_groups": groups, "state": extra}


def optimizer_from_tensors_json(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    tensors: dict[str, Tensor],
    data: dict[str, Any],
    where: Path,
) -> None:
    names = _param_names(model, optimizer)
    index = {n: i for i, n in enumerate(names)}
    saved = [n for g in data["param_groups"] for n in g["params"]]
    if saved != names:
        diff = sorted(set(saved) ^ set(names))
        raise CheckpointError(
            f"optimizer state in {where} was saved for other trainable parameters "
            f"({len(saved)} saved, {len(names)} now; differing: {diff[:3]})"
        )
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        name, _, slot = key.rpartition("::")
        if name not in index:
            raise CheckpointError(f"optimizer state in {where} names unknown parameter '{name}'")
        state.setdefault(index[name], {})[slot] = value
    for name, values in data.get("state", {}).items():
        state.setdefault(index[name], {}).update(values)
    groups = [dict(g, params=[index[n] for n in g["params"]]) for g in data["param_groups"]]
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"cannot restore optimizer state from {where}: {exc}") from None


# ---- RNG state (JSON) ------------------------------------------------------------------------


def _b64(t: Tensor) -> str:
    return base64.b64encode(t.cpu().numpy().tobytes()).decode("ascii")


def _unb64(s: str) -> Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8).clone()


def capture_rng() -> dict[str, Any]:
    """Python, NumPy (legacy global), torch CPU and CUDA generator states as JSON-able data."""
    version, mt, gauss = random.getstate()
    np_state = np.random.get_state()
    assert isinstance(np_state, tuple)  # the legacy form (the default)
    _, keys, pos, has_gauss, cached = np_state
    state: dict[str, Any] = {
        "python": [version, list(mt), gauss],
        "numpy": {
            "keys": keys.tolist(),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": _b64(torch.get_rng_state()),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [_b64(s) for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng(state: dict[str, Any]) -> None:
    version, mt, gauss = state["python"]
    random.setstate((version, tuple(mt), gauss))
    n = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            np.asarray(n["keys"], dtype=np.uint32),
            n["pos"],
            n["has_gauss"],
            n["cached_gaussian"],
        )
    )
    torch.set_rng_state(_unb64(state["torch"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([_unb64(s) for s in state["cuda"]])


# ---- checkpoint directories ------------------------------------------------------------------


def save_checkpoint(
    root: str | Path,
    step: int,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    trainer: dict[str, Any],
    metadata: dict[str, str] | None = None,
    keep: int | None = None,
) -> Path:
    """Write ``root/step_NNNNNN`` atomically, point ``root/latest`` at it, prune old ones."""
    from safetensors.torch import save_file

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = step_dir_name(step)
    final = root / name
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_model_weights(tmp / MODEL_FILE, model, {"step": str(step), **(metadata or {})})
    opt_tensors, opt_json = optimizer_to_tensors_json(model, optimizer)
    save_file(opt_tensors, str(tmp / OPTIM_FILE), metadata={"format": "pt", "step": str(step)})
    state = {
        "format": FORMAT,
        "step": step,
        **trainer,
        "optimizer": opt_json,
        "scheduler": scheduler.state_dict(),
        "rng": capture_rng(),
        "files": {f: sha256_file(tmp / f) for f in (MODEL_FILE, OPTIM_FILE)},
    }
    atomic_write_json(tmp / TRAINER_FILE, state)
    atomic_write_text(tmp / TRAINER_SUM_FILE, sha256_file(tmp / TRAINER_FILE) + "\n")
    if final.exists():  # a step re-run after a resume: the old copy is not the one `latest` names
        shutil.rmtree(final)
    tmp.rename(final)
    atomic_write_text(root / LATEST, name + "\n")
    if keep is not None:
        prune_checkpoints(root, keep)
    return final


def prune_checkpoints(root: Path, keep: int) -> None:
    latest = latest_checkpoint(root)
    for path in list_checkpoints(root)[:-keep]:
        if path != latest:
            shutil.rmtree(path, ignore_errors=True)


def _fail(tfile: Path, key: str, expected: str) -> CheckpointError:
    return CheckpointError(f"checkpoint file {tfile} is invalid: '{key}' must be {expected}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_schema(state: Any, tfile: Path) -> None:
    """The shape of ``trainer.json`` (types of every key a load reads), before anything is used."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint file {tfile} has an unknown format (expected format {FORMAT})"
        )
    if not _is_int(state.get("step")) or state["step"] < 0:
        raise _fail(tfile, "step", "a non-negative integer")
    files = state.get("files")
    if (
        not isinstance(files, dict)
        or set(files) != {MODEL_FILE, OPTIM_FILE}
        or not all(isinstance(v, str) and len(v) == 64 for v in files.values())
    ):
        raise _fail(tfile, "files", f"a map of {MODEL_FILE} and {OPTIM_FILE} to their sha256")
    opt = state.get("optimizer")
    if not isinstance(opt, dict) or not isinstance(opt.get("param_groups"), list):
        raise _fail(tfile, "optimizer.param_groups", "a list")
    for i, g in enumerate(opt["param_groups"]):
        if not isinstance(g, dict) or not isinstance(g.get("params"), list):
            raise _fail(tfile, f"optimizer.param_groups.{i}", "a map with a 'params' list")
        if not all(isinstance(n, str) for n in g["params"]):
            raise _fail(tfile, f"optimizer.param_groups.{i}.params", "a list of parameter names")
    extra = opt.get("state", {})
    if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
        raise _fail(tfile, "optimizer.state", "a map of parameter names to maps")
    if not isinstance(state.get("scheduler"), dict):
        raise _fail(tfile, "scheduler", "a map")
    for key in ("micro_batches", "world_size"):
        if key in state and (not _is_int(state[key]) or state[key] < 0):
            raise _fail(tfile, key, "a non-negative integer")
    window = state.get("log_window", {})
    if not isinstance(window, dict) or not all(
        isinstance(v, list) and all(_is_number(x) or isinstance(x, float) for x in v)
        for v in window.values()
    ):
        raise _fail(tfile, "log_window", "a map of names to lists of numbers")
    _check_rng(state.get("rng"), tfile)


def _check_rng(rng: Any, tfile: Path) -> None:
    """Set every saved generator state on a throwaway generator: a bad one fails here, not later."""
    if not isinstance(rng, dict):
        raise _fail(tfile, "rng", "a map of generator states")
    try:
        version, mt, gauss = rng["python"]
        random.Random().setstate((version, tuple(mt), gauss))
        n = rng["numpy"]
        np.random.RandomState().set_state(
            ("MT19937", np.asarray(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"],
             n["cached_gaussian"])
        )  # fmt: skip
        torch.Generator().set_state(_unb64(rng["torch"]))
        for s in rng.get("cuda", []):
            _unb64(s)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as exc:
        raise _fail(tfile, "rng", f"saved generator states ({type(exc).__name__})") from None


def read_trainer_state(path: str | Path) -> dict[str, Any]:
    """Parse and verify ``trainer.json`` of checkpoint ``path`` (its own checksum, schema, files
    present, their checksums)."""
    path = Path(path)
    tfile = path / TRAINER_FILE
    raw = _read_checked(path, TRAINER_FILE)
    digest = _read_checked(path, TRAINER_SUM_FILE)
    if digest.rstrip(b"\n") != hashlib.sha256(raw).hexdigest().encode():
        raise CheckpointError(
            f"checkpoint file {tfile} is corrupt: its sha256 does not match {TRAINER_SUM_FILE}"
        )
    try:
        state: dict[str, Any] = loads_json(raw)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint file {tfile} is corrupt: {exc}") from None
    _check_schema(state, tfile)
    for fname, digest in state["files"].items():
        fpath = path / fname
        if not fpath.is_file():
            raise CheckpointError(f"checkpoint {path} is incomplete: {fname} is missing")
        try:
            actual = sha256_file(fpath)
        except OSError as exc:
            raise CheckpointError(f"cannot read {fpath}: {exc.strerror or exc}") from None
        if actual != digest:
            raise CheckpointError(
                f"checkpoint file {fpath} is corrupt (its sha256 does not match {TRAINER_FILE})"
            )
    return state


def _read_checked(path: Path, name: str) -> bytes:
    """The bytes of one small checkpoint file; a missing or unreadable file is a CheckpointError."""
    try:
        return (path / name).read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} is incomplete: {name} is missing") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path / name}: {exc.strerror or exc}") from None


def _check_model_tensors(path: Path, tensors: dict[str, Tensor], model: nn.Module) -> None:
    expected = trainable_state(model)
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} tensors (e.g. {missing[:3]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensors (e.g. {unexpected[:3]})")
        raise CheckpointError(f"checkpoint {path} does not match the model: " + "; ".join(parts))
    for k, v in tensors.items():
        want = expected[k]
        if tuple(v.shape) != tuple(want.shape):
            raise CheckpointError(
                f"checkpoint {path} does not match the model: tensor '{k}' has shape "
                f"{tuple(v.shape)}, the model expects {tuple(want.shape)}"
            )
        if v.dtype != want.dtype:
            raise CheckpointError(
                f"checkpoint {path} does not match the model: tensor '{k}' is {v.dtype}, "
                f"the model expects {want.dtype}"
            )


def _same_kind(saved: Any, now: Any) -> bool:
    """A saved hyperparameter may replace the current one (no 'fast' for a float, no bool for 1)."""
    if isinstance(now, bool) or now is None:
        return (
            isinstance(saved, bool) if isinstance(now, bool) else saved is None or _is_number(saved)
        )
    if isinstance(now, (int, float)):
        return _is_number(saved)
    if isinstance(now, (list, tuple)):
        return (
            isinstance(saved, list)
            and len(saved) == len(now)
            and all(_same_kind(a, b) for a, b in zip(saved, now, strict=True))
        )
    if isinstance(now, str):
        return isinstance(saved, str)
    if isinstance(now, Tensor):
        return _is_number(saved)
    return type(saved) is type(now)


def _check_optimizer(
    where: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    tensors: dict[str, Tensor],
    data: dict[str, Any],
) -> None:
    """Names, order, state shapes and hyperparameter types, before the optimizer is touched."""
    names = _param_names(model, optimizer)
    params = dict(model.named_parameters())
    saved = [n for g in data["param_groups"] for n in g["params"]]
    if saved != names or len(data["param_groups"]) != len(optimizer.param_groups):
        diff = sorted(set(saved) ^ set(names))
        raise CheckpointError(
            f"optimizer state in {where} was saved for other trainable parameters or another "
            f"order ({len(saved)} saved, {len(names)} now; differing: {diff[:3]})"
        )
    for key, value in tensors.items():
        name = key.rpartition("::")[0]
        if name not in params or name not in names:
            raise CheckpointError(f"optimizer state in {where} names unknown parameter '{name}'")
        p = params[name]
        if value.numel() != 1 and tuple(value.shape) != tuple(p.shape):
            raise CheckpointError(
                f"optimizer state in {where}: '{key}' has shape {tuple(value.shape)}, "
                f"the parameter has {tuple(p.shape)}"
            )
        if not value.is_floating_point() and value.numel() != 1:
            raise CheckpointError(f"optimizer state in {where}: '{key}' is {value.dtype}")
    for name in data.get("state", {}):
        if name not in names:
            raise CheckpointError(f"optimizer state in {where} names unknown parameter '{name}'")
    for i, (g, now) in enumerate(zip(data["param_groups"], optimizer.param_groups, strict=True)):
        for key, value in now.items():
            if key == "params":
                continue
            if key not in g or not _same_kind(g[key], value):
                raise CheckpointError(
                    f"optimizer state in {where}: param_groups.{i}.{key} is "
                    f"{g.get(key, 'missing')!r}, expected a value like {value!r}"
                )


def _check_scheduler(where: Path, saved: dict[str, Any], scheduler: Any) -> None:
    for key, value in scheduler.state_dict().items():
        if key not in saved or not _same_kind(saved[key], value):
            raise CheckpointError(
                f"scheduler state in {where}: '{key}' is {saved.get(key, 'missing')!r}, "
                f"expected a value like {value!r}"
            )


def check_owner(
    ckpt: Path, run_root: Path, config_hash: str, *, checkpoints: Path | None = None
) -> None:
    """Refuse a checkpoint another run wrote: its ``trainer.json`` must carry ``config_hash`` (the
    hash of the run's config) and, when ``checkpoints`` is given, ``ckpt`` must really lie in it
    (not a symlink to another run's step directory).

    Raises:
        CheckpointError: one line naming the checkpoint and both hashes or both places.
    """
    if checkpoints is not None:
        here, real = checkpoints.resolve(), ckpt.resolve()
        if ckpt.is_symlink() or real.parent != here:
            raise CheckpointError(
                f"checkpoint {ckpt} is not a directory of {here} (it resolves to {real}); "
                "a run loads only checkpoints it wrote"
            )
    saved = read_trainer_state(ckpt).get("config_hash")
    if saved != config_hash:
        raise CheckpointError(
            f"checkpoint {ckpt} was written by a run with config hash {saved!r}, but {run_root} "
            f"has config hash {config_hash} (config.yaml); it belongs to another run"
        )


def load_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    restore_rng_state: bool = True,
) -> dict[str, Any]:
    """Restore model (and optimizer, scheduler, RNG) from checkpoint ``path``; return its trainer state.

    Two phases: every file is read and checked against the model and optimizer first (schema,
    checksums, names, shapes, dtypes, hyperparameter types); only then is anything copied, so a
    refused checkpoint leaves the model, the optimizer and the generators as they were.
    """
    path = Path(path)
    state = read_trainer_state(path)
    weights = _load_safetensors(path / MODEL_FILE)
    _check_model_tensors(path / MODEL_FILE, weights, model)
    check_finite(path / MODEL_FILE, weights)
    opt_tensors: dict[str, Tensor] = {}
    if optimizer is not None:
        opt_tensors = _load_safetensors(path / OPTIM_FILE)
        _check_optimizer(path, model, optimizer, opt_tensors, state["optimizer"])
        check_finite(path / OPTIM_FILE, opt_tensors, limit=None)  # moments: finite is enough
    if scheduler is not None:
        _check_scheduler(path, state["scheduler"], scheduler)
    # phase 2: nothing below can fail on the checkpoint's content
    with torch.no_grad():
        model.load_state_dict(weights, strict=False)
    if optimizer is not None:
        optimizer_from_tensors_json(model, optimizer, opt_tensors, state["optimizer"], path)
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng_state:
        restore_rng(state["rng"])
    return state


def nonfinite_tensors(model: nn.Module, optimizer: torch.optim.Optimizer | None) -> list[str]:
    """Names of the trainable tensors and optimizer moments holding NaN or infinity."""

    def finite(v: Any) -> bool:
        return not (isinstance(v, Tensor) and v.is_floating_point()) or bool(
            torch.isfinite(v).all()
        )

    bad = [k for k, v in trainable_state(model).items() if not finite(v)]
    if optimizer is not None:
        flat = [p for g in optimizer.param_groups for p in g["params"]]
        for p, name in zip(flat, _param_names(model, optimizer), strict=True):
            bad += [f"{name}::{k}" for k, v in optimizer.state.get(p, {}).items() if not finite(v)]
    return bad
