"""Save and load a network: a directory with ``model.safetensors`` and ``sen.json``.

``sen.json`` holds the resolved spec, its hash, the versions of every plugin used and the SHA-256
of the weights file; weights are the trainable tensors (plus buffers of trained parts) by
default, everything with ``full=True``. Both files are written atomically (temp file + rename).
Loading rebuilds the network from the spec, refuses a hash mismatch and warns about (or, strict,
refuses) plugin versions other than those saved (sen_core.catalogue.provenance).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from sen_core._io import atomic_write, loads_json, sha256_file
from sen_core._version import __version__
from sen_core.catalogue import Catalogue
from sen_core.errors import CheckpointError, ConfigError, PluginWarning
from sen_core.network.network import SuperEncodingNetwork
from sen_core.network.spec import stable_hash

__all__ = ["FORMAT", "META_FILE", "WEIGHTS_FILE", "load_network", "save_network"]

WEIGHTS_FILE = "model.safetensors"
META_FILE = "sen.json"
FORMAT = "sen-network/1"


def saved_keys(net: SuperEncodingNetwork, full: bool = False) -> list[str]:
    """The state-dict entries ``save_network`` writes: all, or the trainable ones."""
    state = net.state_dict(keep_vars=True)
    if full:
        return list(state)
    params = {name for name, _ in net.named_parameters(remove_duplicate=False)}
    keys = []
    for name, t in state.items():
        if name in params:
            if t.requires_grad:
                keys.append(name)
        else:  # a buffer: saved unless it belongs to a neuron whose weights stay frozen
            parts = name.split(".")
            if parts[0] != "neurons" or net.spec.neuron(parts[1]).trainable == "all":
                keys.append(name)
    return keys


def save_network(
    net: SuperEncodingNetwork, directory: str | os.PathLike[str], full: bool = False
) -> Path:
    """Write ``directory/model.safetensors`` and ``directory/sen.json``; return the directory.

    Args:
        net: the network; directory: where to write (created); full: also save frozen weights.
    """
    from safetensors.torch import save_file

    net = getattr(net, "_orig_mod", net)  # a torch.compile wrapper saves its module
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = net.state_dict()
    tensors: dict[str, Tensor] = {}
    seen: set[tuple[int, int]] = set()
    for k in saved_keys(net, full):
        t = state[k].detach().to("cpu").contiguous()
        ptr = (t.untyped_storage().data_ptr(), t.storage_offset())
        tensors[k] = (
            t.clone() if ptr in seen else t
        )  # safetensors refuses tensors that share memory
        seen.add(ptr)
    spec_json = net.spec.canonical_json()
    weights = out / WEIGHTS_FILE
    atomic_write(
        weights,
        lambda tmp: save_file(
            tensors,
            tmp,
            metadata={"format": FORMAT, "sen_spec": spec_json, "sen_spec_hash": net.spec_hash},
        ),
    )
    meta = {
        "format": FORMAT,
        "sen_version": __version__,
        "spec_hash": net.spec_hash,
        "spec": json.loads(spec_json),
        "components": net.resolved.components(),
        "weights": {
            "file": WEIGHTS_FILE,
            "full": full,
            "tensors": len(tensors),
            "sha256": sha256_file(weights),
        },
    }

    def write_meta(tmp: Path) -> None:
        with open(tmp, "w") as f:
            json.dump(meta, f, indent=2, sort_keys=True)
            f.write("\n")

    atomic_write(out / META_FILE, write_meta)
    return out


def _check_meta(meta: Any, meta_path: Path) -> None:
    """The schema of sen.json: every key a load reads, with its type, before anything is built."""

    def bad(key: str, expected: str) -> CheckpointError:
        return CheckpointError(f"{meta_path}: '{key}' must be {expected}")

    if not isinstance(meta, dict):
        raise bad("the top level", "a JSON object")
    if not isinstance(meta.get("spec"), dict):
        raise bad("spec", "a JSON object (the resolved network spec)")
    if not isinstance(meta.get("spec_hash"), str):
        raise bad("spec_hash", "a string")
    comps = meta.get("components", {})
    if not isinstance(comps, dict) or not all(isinstance(v, dict) for v in comps.values()):
        raise bad("components", "a map of component names to their provenance")
    w = meta.get("weights")
    if not isinstance(w, dict):
        raise bad("weights", "a map with file, full, tensors and sha256")
    if not (isinstance(w.get("sha256"), str) and len(w["sha256"]) == 64):
        raise bad("weights.sha256", "the SHA-256 of model.safetensors (64 hex digits)")
    if not isinstance(w.get("full", False), bool):
        raise bad("weights.full", "true or false")


def _saved_and_installed(
    meta: dict[str, Any], catalogue: Catalogue
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """``{distribution: version}`` recorded in sen.json, and installed now (sen itself included)."""
    from sen_core.catalogue.provenance import component_versions

    comps = meta.get("components", {})
    saved = {"sen": meta.get("sen_version")} | component_versions(comps.values())
    installed: dict[str, str | None] = {
        (p.distribution or p.name): p.version for p in catalogue.plugins if p.ok
    }
    for name in comps:
        try:
            installed |= component_versions([catalogue.get(name).provenance])
        except Exception:  # noqa: BLE001 - a name no longer resolvable is reported when the network is rebuilt
            continue
    return saved, installed | {"sen": __version__}


def load_network(
    directory: str | os.PathLike[str],
    strict_versions: bool | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> SuperEncodingNetwork:
    """Rebuild the saved network, load its weights and return it in eval mode.

    Args:
        directory: written by ``save_network``.
        strict_versions: refuse plugin or sen versions (or a resolved spec) that differ from save
            time; default ``SEN_STRICT_VERSIONS`` (off: a ``PluginWarning`` names each difference).
        catalogue: defaults to the installed plugins' catalogue.

    Returns:
        The network, in eval mode.

    Raises:
        CheckpointError: a missing, truncated or edited file; under strict versions, differences.
    """
    from safetensors.torch import load_file

    from sen_core import catalogue as _catalogue
    from sen_core.catalogue import provenance as _provenance
    from sen_core.network.builder import build_resolved
    from sen_core.network.validate import resolve_network

    d = Path(directory)
    meta_path, weights = d / META_FILE, d / WEIGHTS_FILE
    if not meta_path.is_file():
        raise CheckpointError(
            f"{meta_path}: not found; is '{d}' a directory written by save_network?"
        )
    try:
        meta = loads_json(meta_path.read_bytes())
    except OSError as exc:
        raise CheckpointError(f"{meta_path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise CheckpointError(f"{meta_path}: not a valid sen.json ({exc})") from None
    _check_meta(meta, meta_path)
    spec_data, spec_hash = meta["spec"], meta["spec_hash"]
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{meta_path}: format {meta.get('format')!r}; this sen reads {FORMAT!r}"
        )
    if stable_hash(spec_data) != spec_hash:
        raise CheckpointError(
            f"{meta_path}: the spec does not match its recorded hash {spec_hash} "
            f"(it hashes to {stable_hash(spec_data)}); the file was edited or is corrupt"
        )
    cat = catalogue if catalogue is not None else _catalogue.get_catalogue()
    strict = _provenance.strict_versions(strict_versions)
    _provenance.check_versions(*_saved_and_installed(meta, cat), what=str(meta_path), strict=strict)
    try:
        resolved = resolve_network(spec_data, cat)
    except ConfigError as exc:
        raise CheckpointError(f"{meta_path}: cannot rebuild the saved network: {exc}") from None
    if resolved.spec.hash() != spec_hash:
        changed = (
            f"{meta_path}: the saved spec resolves differently with the installed plugins (hash "
            f"{resolved.spec.hash()}, saved {spec_hash}): their default parameters changed"
        )
        if strict:
            raise CheckpointError(changed + f" (refused because {_provenance.STRICT_ENV}=1)")
        warnings.warn(changed, PluginWarning, stacklevel=2)

    winfo = meta["weights"]
    if not weights.is_file():
        raise CheckpointError(f"{weights}: not found (sen.json expects it)")
    try:
        digest = sha256_file(weights)
    except OSError as exc:
        raise CheckpointError(f"{weights}: cannot read ({exc.strerror or exc})") from None
    if digest != winfo["sha256"]:  # mandatory: a deleted checksum does not switch the check off
        raise CheckpointError(
            f"{weights}: its SHA-256 does not match sen.json; the file is truncated, "
            "corrupt or from another save"
        )
    try:
        tensors = load_file(str(weights))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types for bad headers and sizes
        raise CheckpointError(
            f"{weights}: cannot read the safetensors file ({type(exc).__name__}: {exc})"
        ) from None

    net = build_resolved(resolved)
    expected = set(saved_keys(net, bool(winfo.get("full"))))
    state = net.state_dict()
    missing = sorted(expected - set(tensors))
    unexpected = sorted(set(tensors) - set(state))
    shapes = sorted(
        k
        for k in set(tensors) & set(state)
        if tuple(tensors[k].shape) != tuple(state[k].shape) or tensors[k].dtype != state[k].dtype
    )
    if missing or unexpected or shapes:
        detail = "; ".join(
            f"{what}: {', '.join(ks[:5])}{' ...' if len(ks) > 5 else ''}"
            for what, ks in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("wrong shape or dtype", shapes),
            )
            if ks
        )
        raise CheckpointError(
            f"{weights}: does not match the network built from sen.json ({detail})"
        )
    with torch.no_grad():
        net.load_state_dict(tensors, strict=False)
    return net.eval()
