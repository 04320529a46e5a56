"""What the research pages hold beyond one sweep's statistics (sen_core/app/research.py).

- ``PAGES``: the page each benchmark sweep writes by default (docs/results.md is the kubric-lite
  benchmark; the shapes benchmark and the chat benchmark have their own pages);
- ``companion_sections``: the main table of a companion page, embedded under a clear label in the
  main page (the shapes results as a second table, the chat benchmark's QA accuracy);
- ``trial_span``: the wall time from the first trial's start to the last one's finish, read from the
  trial files, so a page rewritten after a resumed or interrupted run still states it;
- ``stand_still``: the trivial tracker's AJ (every point at its query, visible everywhere) on each
  seed's scored clips, the baseline a trained tracker must beat.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

KUBRIC = "sen/sweep-research-kubric@1"
SHAPES = "sen/sweep-research@1"
CHAT = "sen/sweep-research-chat@1"

# benchmark sweep -> the docs page `sen bench research --sweep NAME` writes unless told otherwise
PAGES = {
    KUBRIC: "docs/results.md",
    SHAPES: "docs/results-shapes.md",
    CHAT: "docs/results-chat.md",
}

# sweep -> (page title, the paragraph under it)
INTROS = {
    KUBRIC: (
        "Research benchmark results",
        "Does recursive association make encoders better together? Measured on kubric-lite "
        "(docs/benchmarks/kubric-lite.md): textured objects over real photographs, a moving "
        "camera, exact point tracks, 16 shape x motion classes, captions that need appearance and "
        "motion; every seed changes the initialisation and the scenes.",
    ),
    SHAPES: (
        "Research benchmark results: shapes (the earlier benchmark)",
        "The main benchmark is kubric-lite ([results.md](results.md)); this page keeps the shapes "
        "results, an easier task (flat shapes on a dark background) with 32-96 scored clips and "
        "3 seeds.",
    ),
    CHAT: (
        "Research benchmark results: chat",
        "The chat head (`sen/qa-lm@1`) reads the RA state: does recursion change what the real "
        "SmolLM2-135M-Instruct answers about a video? Exact match on held-out shapes clips "
        "(docs/chat.md); the LM is frozen, only the path from the state to the soft prompt trains.",
    ),
}

# main sweep -> (file beside its page, section title) embedded when that file exists
COMPANIONS = {
    KUBRIC: [
        (
            "results-chat.md",
            "Chat: RA depth and video QA with the real SmolLM2 (`sen/sweep-research-chat@1`)",
        ),
        (
            "results-shapes.md",
            "Second table: the shapes benchmark (`sen/sweep-research@1`, an earlier, easier "
            "benchmark: flat shapes on a dark background, 32-96 scored clips, 3 seeds)",
        ),
    ],
}


def default_page(sweep: str) -> str:
    """The page a benchmark sweep writes by default (docs/results-<name>.md for other sweeps)."""
    if sweep in PAGES:
        return PAGES[sweep]
    stem = sweep.rsplit("/", 1)[-1].split("@", 1)[0].removesuffix(".yaml")
    return f"docs/results-{stem}.md"


def _first_table(text: str) -> list[str]:
    """The regenerate line, the settings lines and the first Markdown table of a results page."""
    lines = text.splitlines()
    regen = [ln for ln in lines if ln.startswith("Regenerate:")]
    facts = [ln for ln in lines if ln.startswith(("- Settings", "- Trials:"))]
    keep = [*regen, *([""] if regen and facts else []), *facts]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("| network")), None)
    if start is None:
        return keep
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return [*keep, "", *lines[start:end]]


def companion_sections(sweep: str, page: Path) -> list[str]:
    """Markdown sections embedding the companion pages of ``sweep`` found beside ``page``."""
    out: list[str] = []
    for name, title in COMPANIONS.get(sweep, []):
        path = page.parent / name
        if not path.is_file():
            continue
        out += [
            "",
            f"## {title}",
            "",
            f"From [{name}]({name}) (its paired intervals and findings are there):",
            "",
            *_first_table(path.read_text(encoding="utf-8")),
        ]
    return out


def trial_span(sweep_dir: Path) -> float | None:
    """Seconds from the first trial's start to the last trial's finish (None without times)."""
    starts, ends = [], []
    for f in (sweep_dir / "trials").glob("*.json"):
        try:
            r = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(r.get("started"), (int, float)) and isinstance(
            r.get("finished"), (int, float)
        ):
            starts.append(float(r["started"]))
            ends.append(float(r["finished"]))
    return max(ends) - min(starts) if starts else None


def stand_still(plan: dict[str, Any]) -> dict[int, float]:
    """Per seed: AJ of every point left at its query position, visible everywhere, on the clips
    that seed's trials score ({} when the sweep has no tracking head or no configs)."""
    from sen_core.app.demo_tracks import stand_still_aj
    from sen_core.catalogue import get_catalogue, import_ref
    from sen_core.config.run_config import RunConfig
    from sen_core.params import call_factory
    from sen_core.train.data import build_dataset

    out: dict[int, float] = {}
    for trial in plan.get("trials") or []:
        seed, raw = (trial.get("axes") or {}).get("seed"), trial.get("config")
        if not isinstance(seed, int) or seed in out or not isinstance(raw, dict):
            continue
        cfg = RunConfig.model_validate(raw)
        # the head whose key prefixes the page's tracking/* metrics (any plugin's tracking head)
        track = next((h for h in cfg.model.heads if h.key == "tracking"), None)
        if track is None:
            return {}
        spec = get_catalogue().get(track.name)
        head = call_factory(spec, import_ref(spec.factory), width=cfg.model.width, **track.params)
        data = build_dataset(cfg.data, cfg.train.eval_split)
        n = len(data)  # type: ignore[arg-type]  # map-style datasets (every SEN dataset) are sized
        if cfg.train.eval_batches is not None:
            n = min(n, cfg.train.eval_batches * cfg.train.batch_size)
        out[seed] = stand_still_aj(head, data, n)
    return out


def stand_still_line(values: dict[int, float], nets: dict[str, dict[str, Any]]) -> list[str]:
    """The page's sentence on the trivial tracker, naming the networks above it."""
    if not values:
        return []
    vals = list(values.values())
    mean = statistics.fmean(vals)
    std = statistics.stdev(vals) if len(vals) > 1 else 0.0
    above = [
        n
        for n, e in nets.items()
        if "tracking/AJ" in e and not math.isnan(e["tracking/AJ"][0]) and e["tracking/AJ"][0] > mean
    ]
    verdict = (
        f"networks above it on mean AJ: {', '.join(f'`{n}`' for n in above)}."
        if above
        else "every trained network scores below it: at this budget the trackers lose to standing "
        "still."
    )
    return [
        f"- Tracking baseline: every point left at its query position, visible everywhere, scores "
        f"AJ {mean:.3f} ± {std:.3f} over the {len(vals)} seeds' scored clips (no training); "
        + verdict
    ]
