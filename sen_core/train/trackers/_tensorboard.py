"""TensorBoard tracker: event files in the run directory (``tensorboard --logdir runs/``).

Scalars go under their metric names at the optimizer step; the resolved config and the parameter
counts go in as text. A resumed run opens a new event file with ``purge_step`` at the checkpoint
step + 1, so TensorBoard hides what a killed attempt logged after that checkpoint; the curve goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class TensorBoardTracker:
    """Writes ``events.out.tfevents.*`` into the run directory itself (one TensorBoard run each)."""

    name = "tensorboard"

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.writer: Any = None
        self.step = 0

    def start(self, *, step: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.step = step
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # events after the checkpoint (logged by the killed attempt) are hidden; steps <= it stay
        self.writer = SummaryWriter(str(self.run_dir), purge_step=step + 1 if step else None)

    def log_params(self, params: dict[str, str]) -> None:
        config = {k: v for k, v in params.items() if not k.startswith("parameters.")}
        counts = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith("parameters.")}
        self.writer.add_text("config", _table(config), global_step=self.step)
        if counts:
            self.writer.add_text("parameters", _table(counts), global_step=self.step)
        self.writer.flush()

    def log_metrics(self, metrics: dict[str, float], *, step: int) -> None:
        for k, v in metrics.items():
            self.writer.add_scalar(k, v, global_step=step)
        self.writer.flush()  # a killed run keeps everything logged so far

    def log_artifact(self, path: Path) -> None:
        """Artifacts already live in the run directory, next to the event files."""

    def finish(self, status: str) -> None:
        self.writer.add_text("status", status, global_step=self.step)
        self.writer.close()


def _table(rows: dict[str, str]) -> str:
    # TensorBoard renders text as markdown: a two-column table reads well for hundreds of keys
    lines = ["| key | value |", "|---|---|"]
    lines += [f"| {k} | {str(v).replace('|', '/')} |" for k, v in rows.items()]
    return "\n".join(lines)
