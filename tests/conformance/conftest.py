"""The encoder conformance suite's cases: every static encoder in the catalogue plus the dynamic-family
samples listed by each ``cases_*.py`` module here (``CASES: list[tuple[name, params]]``).

Adding an encoder to the catalogue, or a case to a ``cases_*.py`` file, adds its tests for free.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
B, T, H, W = 2, 2, 40, 48  # raw clip size fed to visual neurons (they resize to their own size)
TEXTS = ["a photo of a cat on a sofa", "two dogs play in the snow"]


@dataclass(frozen=True)
class Case:
    """One neuron under test: a catalogue name with params (empty = the spec's defaults)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    source: str = "catalogue"
    error: str | None = None  # a cases_*.py that failed to import becomes a failing case

    @property
    def overrides_shape(self) -> bool:
        """True when params change what the spec's layout declares (size, token selection, model)."""
        return bool(
            {"tokens_per_frame", "image_size", "model_kwargs", "max_length"} & set(self.params)
        )


def _case_modules() -> list[tuple[str, list[tuple[str, dict]] | None, str | None]]:
    out = []
    for path in sorted(HERE.glob("cases_*.py")):
        try:
            spec = importlib.util.spec_from_file_location(f"_sen_conformance_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            out.append((path.name, list(module.CASES), None))
        except Exception as exc:  # report it as a failing case rather than breaking collection
            out.append((path.name, None, f"{type(exc).__name__}: {exc}"))
    return out


@functools.lru_cache(maxsize=1)
def collect_cases() -> tuple[Case, ...]:
    """Static encoders (defaults unless a case names them) + every case from cases_*.py."""
    from sen_core.catalogue import get_catalogue
    from sen_core.specs import EncoderSpec

    extra: list[Case] = []
    for fname, cases, error in _case_modules():
        if error is not None:
            extra.append(Case(name=f"<{fname}>", source=fname, error=error))
            continue
        extra.extend(Case(name=n, params=dict(p), source=fname) for n, p in cases)
    named = {c.name for c in extra}
    static = [
        Case(name=s.name)
        for s in get_catalogue().list("encoders")
        if isinstance(s, EncoderSpec) and s.name not in named
    ]
    return tuple(static + extra)


def _ids(cases: tuple[Case, ...]) -> list[str]:
    counts, seen, ids = Counter(c.name for c in cases), Counter(), []
    for c in cases:
        seen[c.name] += 1
        ids.append(c.name if counts[c.name] == 1 else f"{c.name}#{seen[c.name]}")
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = collect_cases()
        metafunc.parametrize("case", list(cases), ids=_ids(cases), scope="session")


_NEURONS: dict[int, Any] = {}


@pytest.fixture
def neuron(case: Case):
    """The built neuron for ``case`` (built once per session; seeded so random inits repeat)."""
    if case.error is not None:
        pytest.fail(f"{case.source} failed to import: {case.error}")
    key = id(case)
    if key not in _NEURONS:
        import torch

        from sen_core.neuron import build_neuron

        torch.manual_seed(0)
        _NEURONS[key] = build_neuron(case.name, **case.params).eval()
    return _NEURONS[key]


def _frames_for(neuron: Any, case: Case) -> int:
    """Frames per clip: 2, or the video neuron's ``num_frames`` param when it has one."""
    if neuron.modality == "video":
        return int(case.params.get("num_frames") or neuron.spec.params.get("num_frames") or T)
    return T


def _raw_input(neuron: Any, case: Case, *, as_float: bool = False) -> Any:
    import torch

    if neuron.modality in ("image", "video"):
        g = torch.Generator().manual_seed(0)
        video = torch.randint(
            0, 256, (B, _frames_for(neuron, case), H, W, 3), generator=g, dtype=torch.uint8
        )
        return video.permute(0, 1, 4, 2, 3).float() / 255.0 if as_float else video
    if neuron.modality == "text":
        return list(TEXTS)
    pytest.skip(f"no conformance input generator for modality '{neuron.modality}' yet")


@pytest.fixture
def raw(neuron, case: Case):
    """A deterministic raw batch (B=2) for the neuron's modality: uint8 (B, T, H, W, 3) clips or texts."""
    return _raw_input(neuron, case)


@pytest.fixture
def raw_float(neuron, case: Case):
    """The same clips as ``raw`` as float (B, T, 3, H, W) in [0, 1] (visual neurons only)."""
    if neuron.modality not in ("image", "video"):
        pytest.skip("float frames only apply to visual neurons")
    return _raw_input(neuron, case, as_float=True)


@pytest.fixture
def num_frames(neuron, case: Case) -> int:
    return _frames_for(neuron, case)


@pytest.fixture
def prompts(neuron):
    """Random prompts (B=2) in the shape the neuron's prompt slot declares; skip if it takes none."""
    import torch

    slot = neuron.prompt_slot()
    if slot is None:
        pytest.skip("prompting='none'")
    m = 2
    g = torch.Generator().manual_seed(1)
    if slot.kind == "tokens":
        shape = (B, slot.depth, m, slot.dim) if slot.depth > 1 else (B, m, slot.dim)
        return torch.randn(*shape, generator=g)
    return 0.5 * torch.randn(B, slot.film_size, generator=g)
