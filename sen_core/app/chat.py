"""Video chat with a trained run: ``VideoChat(RUN_DIR).ask(VIDEO, QUESTION)``; ``sen chat`` on top.

The run's network encodes the video (frames sampled as its dataset samples them), its QA head
(a head of task ``qa``, e.g. ``sen/qa-lm@1``) turns the state into a soft prompt and its LM
answers greedily, handing the text to ``on_text`` piece by piece as it is generated.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sen_core.errors import InputError

DEFAULT_FRAMES = 8


def _qa_head_key(config: Any, run_dir: Path) -> str:
    """The key of the run's QA head (the first of task 'qa'), or an InputError naming its heads."""
    from sen_core.catalogue import get_catalogue, lookup_component

    catalogue = get_catalogue()
    keys = []
    for h in config.model.heads:
        spec, _ = lookup_component(catalogue, h.name, "head")
        if spec is not None and getattr(spec, "task", None) == "qa":
            return str(h.id)
        keys.append(f"{h.id} ({h.name})")
    raise InputError(
        f"{run_dir}: the run has no QA head (task 'qa', e.g. sen/qa-lm@1) to chat with; "
        f"its heads: {', '.join(keys) or 'none'}"
    )


class VideoChat:
    """A trained run ready to answer questions about videos (loaded once, on the CPU by default)."""

    def __init__(self, run_dir: str | os.PathLike[str], *, device: str = "cpu") -> None:
        from sen_core.train import RunDir

        self.run_dir = Path(run_dir)
        directory = RunDir(self.run_dir)
        directory.require_checkpoint()  # a clear error before anything heavy is built
        self.config = directory.read_config()
        self.head_key = _qa_head_key(self.config, self.run_dir)
        params = self.config.data.params
        self.frames = int(params.get("frames") or params.get("num_frames") or DEFAULT_FRAMES)
        size = params.get("image_size")
        self.size = int(size) if isinstance(size, int) else None
        self.device = device
        self._net: Any = None

    @property
    def net(self) -> Any:
        if self._net is None:
            from sen_core.train import load_trained

            self._net, _ = load_trained(self.run_dir, device=self.device)
        return self._net

    def read_video(self, video: str | os.PathLike[str]) -> Any:
        """(1, T, H, W, 3) uint8 frames sampled as the run's dataset samples them."""
        import torch

        from sen_core.data.video import decode_video

        frames, _ = decode_video(Path(video), num_frames=self.frames, size=self.size, crop=True)
        return torch.from_numpy(frames).unsqueeze(0)

    def ask(
        self,
        video: Any,
        question: str,
        *,
        on_text: Callable[[str], None] | None = None,
        max_new_tokens: int | None = None,
    ) -> str:
        """The greedy answer to ``question`` about ``video`` (a file, or frames from read_video)."""
        import torch

        if not question.strip():
            raise InputError("the question is empty")
        frames = video if isinstance(video, torch.Tensor) else self.read_video(video)
        batch = {"video": frames.to(self.device), "question": [question]}
        head = self.net.heads[self.head_key]
        with torch.no_grad():
            out = self.net(batch)
            return str(head.generate(out, batch, max_new_tokens, on_text=on_text)[0])
