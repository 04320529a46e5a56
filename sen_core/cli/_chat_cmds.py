"""``sen chat``: ask a trained run's QA head about a video (see sen_core/app/chat.py)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("chat")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--question", "-q", default=None, help="Ask once and exit (default: ask interactively)."
)
@click.option(
    "--max-new-tokens",
    type=click.IntRange(min=1, max=4096),
    default=None,
    help="Answer length limit in tokens (default: the head's max_new_tokens).",
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
def chat_cmd(
    run_dir: Path, video: Path, question: str | None, max_new_tokens: int | None, device: str
) -> None:
    """Ask questions about VIDEO with the QA head of the trained run RUN_DIR.

    \b
    The answer streams as the LM writes it. Without --question, questions are read one per
    line until an empty line, "exit" or end of input.
      sen chat runs/chat clip.mp4 -q "which way does the circle move?"
    Needs a run with a QA head (e.g. sen train sen/chat-shapes@1, docs/chat.md).
    """
    from sen_core.app.chat import VideoChat

    session = VideoChat(run_dir, device=device)
    frames = session.read_video(video)  # an unreadable video fails before the network is built

    def answer(q: str) -> None:
        session.ask(
            frames, q, on_text=lambda t: click.echo(t, nl=False), max_new_tokens=max_new_tokens
        )
        click.echo()

    if question is not None:
        answer(question)
        return
    while True:
        try:
            q = click.prompt("?", prompt_suffix=" ", default="", show_default=False)
        except (EOFError, click.Abort):
            break
        if q.strip().lower() in ("", "exit", "quit"):
            break
        answer(q)


def register(cli: click.Group) -> None:
    cli.add_command(chat_cmd)
