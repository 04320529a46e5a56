"""Encoder coverage: does every timm / open_clip name that ``sen list`` offers work as ``sen show`` says?

Run: .venv/bin/python benchmarks/encoder_coverage.py [--family timm|open_clip|all] [--pattern GLOB]
     [--one-per-module] [--time-limit SECONDS] [--image-size N] [--real] [--failures]

Each name is resolved (its spec), built with default params and encoded once without prompts and
once with prompts through its declared slot. Models are built on PyTorch's ``meta`` device (shapes
only, no memory or compute) unless ``--real``; a name whose screen fails on meta for a reason that is
meta's own (an op without a meta kernel) is retried for real at ``--image-size``. The table counts,
per family (timm module or open_clip tower kind): names, builds, encodes, prompted encodes, and lists
every failure with its reason. "Fails at first use" = a listed name whose build or encode raises
anything but a clean ConfigError refusal; the exit status is 1 when any name fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass
class Result:
    """One name's screen: which stages passed, and why the first failing one failed."""

    name: str
    family: str
    prompting: str
    built: bool = False
    encoded: bool = False
    prompted: bool | None = None  # None: prompting='none', nothing to test
    failure: str = ""
    device: str = "meta"


@dataclass
class Row:
    names: int = 0
    builds: int = 0
    encodes: int = 0
    promptable: int = 0
    prompted: int = 0
    failures: list[Result] = field(default_factory=list)


# helpers


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def _meta_limit(text: str) -> bool:
    """An error that is the meta device's own (data-dependent op, no meta kernel), not the model's."""
    return any(
        s in text
        for s in (
            "meta",
            "Meta",
            "data-dependent",
            "Cannot copy out of meta tensor",
            "item()",
            "not implemented for",
        )
    )


def _prompts(neuron, batch: int, device):  # -> Tensor | None
    import torch

    slot = neuron.prompt_slot()
    if slot is None:
        return None
    if slot.kind == "tokens":
        return torch.randn(batch, 2, slot.dim, device=device)
    return torch.randn(batch, slot.film_size, device=device) * 0.1


def _input(neuron, spec, device):  # -> Tensor
    import torch

    size = int(getattr(neuron, "image_size", None) or spec.preprocess.image_size or 224)
    return torch.zeros(1, 1, 3, size, size, device=device)


def _film_root(neuron):  # -> nn.Module | None
    """The module a neuron's FiLM hooks sit on (timm model, or an open_clip timm trunk)."""
    if getattr(neuron, "_film", None) is None or not hasattr(neuron._film, "modules"):
        return None
    visual = getattr(neuron, "visual", None)
    return getattr(visual, "trunk", None) if visual is not None else getattr(neuron, "model", None)


def _text_input(neuron, device):  # -> Any
    x = neuron.preprocess(["a photo of a cat"])
    if hasattr(x, "to"):
        return x.to(device)
    return {k: v.to(device) for k, v in x.items()}


def screen(name: str, *, device: str = "meta", image_size: int | None = None) -> Result:
    """Resolve, build, encode and prompt-encode one name; never raises."""
    import torch

    from sen_core.catalogue import get_catalogue
    from sen_core.errors import ConfigError
    from sen_core.neuron import build_neuron

    try:
        spec = get_catalogue().get(name, kind="encoder")
    except Exception as exc:  # noqa: BLE001 - a screen reports, never stops
        return Result(name, "?", "?", failure="resolve: " + _reason(exc))
    family = spec.tags[1] if len(spec.tags) > 1 else spec.namespace
    res = Result(name, f"{spec.namespace}:{family}", spec.prompting, device=device)
    params = {"image_size": image_size} if image_size and spec.modality == "image" else {}
    dev = torch.device(device)
    try:
        with dev:
            neuron: Any = build_neuron(spec, **params)  # the probes read each family's internals
        res.built = True
    except ConfigError as exc:
        res.failure = "build refused: " + _reason(exc)
        return res
    except Exception as exc:  # noqa: BLE001
        res.failure = "build: " + _reason(exc)
        return res
    try:
        with torch.no_grad():
            x = _text_input(neuron, dev) if spec.modality == "text" else _input(neuron, spec, dev)
            neuron.encode(x)
            res.encoded = True
            p = _prompts(neuron, 1, dev)
            if (p is None) != (spec.prompting == "none"):
                raise RuntimeError(
                    f"spec says prompting={spec.prompting!r} but prompt_slot() is "
                    f"{neuron.prompt_slot()!r}"
                )
            if p is not None:
                res.prompted = False
                fired: set[str] = set()
                root = _film_root(neuron)
                names = list(neuron._film.modules) if root is not None else []
                hooks = [
                    root.get_submodule(m).register_forward_hook(lambda *a, m=m: fired.add(m))
                    for m in names
                ]
                try:
                    neuron.encode(x, prompts=p)
                finally:
                    for h in hooks:
                        h.remove()
                if set(names) - fired:  # a FiLM stage that never runs would ignore its prompt
                    raise RuntimeError(f"FiLM stages never ran: {sorted(set(names) - fired)}")
                res.prompted = True
    except Exception as exc:  # noqa: BLE001
        res.failure = ("prompted encode: " if res.encoded else "encode: ") + _reason(exc)
    return res


def screen_with_fallback(name: str, *, real: bool, image_size: int) -> Result:
    """Meta first (free); on a meta-only failure, again for real on CPU at a small image size."""
    if not real:
        res = screen(name, device="meta")
        if not res.failure or not _meta_limit(res.failure):
            return res
    return screen(name, device="cpu", image_size=image_size)


def timm_names(pattern: str | None, one_per_module: bool) -> list[str]:
    """``timm/`` names ``sen list`` offers; with ``one_per_module`` the smallest of each module."""
    from sen_timm.family import list_names, model_module

    names = list_names(pattern)
    if not one_per_module:
        return names
    best: dict[str, tuple[int, str]] = {}
    for n in names:
        arch = n.split("/", 1)[1]
        mod = model_module(arch)
        size = _param_guess(arch)
        if mod not in best or (size, n) < best[mod]:
            best[mod] = (size, n)
    return sorted(n for _, n in best.values())


def _param_guess(arch: str) -> int:
    """Cheap size order without building: name words that mean small come first."""
    order = ("test", "atto", "femto", "pico", "nano", "tiny", "xxs", "xs", "small", "s", "b0", "18")
    parts = arch.replace("-", "_").split("_")
    for i, w in enumerate(order):
        if any(p.startswith(w) for p in parts):
            return i * 1000 + len(arch)
    return len(order) * 1000 + len(arch)


def open_clip_names(pattern: str | None) -> list[str]:
    from sen_open_clip.family import list_names

    names = list_names()
    if pattern:
        import fnmatch

        pat = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
        names = [n for n in names if fnmatch.fnmatchcase(n, pat)]
    return names


def run(names: Iterable[str], *, real: bool, image_size: int, time_limit: float) -> list[Result]:
    start = time.monotonic()
    out = []
    for n in names:
        if time.monotonic() - start > time_limit:
            print(f"time limit of {time_limit:.0f} s reached; rest not screened", file=sys.stderr)
            break
        out.append(screen_with_fallback(n, real=real, image_size=image_size))
    return out


def failing(res: Result) -> bool:
    """Fails at first use: anything but a pass or a clean ConfigError refusal at build."""
    return bool(res.failure) and not res.failure.startswith("build refused:")


def table(results: list[Result]) -> str:
    rows: dict[str, Row] = defaultdict(Row)
    for r in results:
        row = rows[r.family]
        row.names += 1
        row.builds += r.built
        row.encodes += r.encoded
        row.promptable += r.prompted is not None
        row.prompted += bool(r.prompted)
        if r.failure:
            row.failures.append(r)
    lines = [f"{'family':32} {'names':>5} {'builds':>6} {'encodes':>7} {'prompted':>9}  failures"]
    tot = Row()
    for fam in sorted(rows):
        row = rows[fam]
        fails = sum(failing(r) for r in row.failures)
        refused = len(row.failures) - fails
        note = f"{fails} fail" + (f", {refused} refused" if refused else "")
        lines.append(
            f"{fam:32} {row.names:5d} {row.builds:6d} {row.encodes:7d} "
            f"{row.prompted:4d}/{row.promptable:<4d}  {note if row.failures else ''}"
        )
        for attr in ("names", "builds", "encodes", "promptable", "prompted"):
            setattr(tot, attr, getattr(tot, attr) + getattr(row, attr))
    lines.append(
        f"{'TOTAL':32} {tot.names:5d} {tot.builds:6d} {tot.encodes:7d} "
        f"{tot.prompted:4d}/{tot.promptable:<4d}"
    )
    bad = [r for r in results if r.failure]
    if bad:
        lines.append("")
        lines.append("failures and refusals (name [device]: stage: reason):")
        lines += [f"  {r.name} [{r.device}]: {r.failure}" for r in bad]
    n_fail = sum(failing(r) for r in results)
    lines.append("")
    lines.append(f"{n_fail} of {len(results)} listed names fail at first use")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=("timm", "open_clip", "all"), default="all")
    ap.add_argument("--pattern", help="glob over names, e.g. 'timm/vit_*' (a bare word: substring)")
    ap.add_argument("--one-per-module", action="store_true", help="timm: smallest name per module")
    ap.add_argument("--time-limit", type=float, default=float("inf"), help="seconds, then stop")
    ap.add_argument("--image-size", type=int, default=64, help="for real (non-meta) screens")
    ap.add_argument("--real", action="store_true", help="build real weights on CPU, not meta")
    ap.add_argument("--names", nargs="*", default=(), help="screen exactly these names")
    args = ap.parse_args(argv)

    if args.names:
        names = list(args.names)
    else:
        names = []
        if args.family in ("timm", "all"):
            names += timm_names(args.pattern, args.one_per_module)
        if args.family in ("open_clip", "all"):
            names += open_clip_names(args.pattern)
    t0 = time.monotonic()
    results = run(names, real=args.real, image_size=args.image_size, time_limit=args.time_limit)
    print(table(results))
    print(f"screened {len(results)} names in {time.monotonic() - t0:.0f} s")
    return 1 if any(failing(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
