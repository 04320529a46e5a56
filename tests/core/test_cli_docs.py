"""docs/cli.md is checked against the CLI itself (click's own command tree, i.e. what --help shows).

Every command and every one of its options must be documented next to a mention of that command
(`sen train ... --resume`), and the reference must name no option the command does not have. A
failure names the command and the option, so whoever adds one can fix the docs in one edit.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from sen_core.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
# options every command has, documented once at the top of the reference
_COMMON = {"-h", "--help"}


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """'sen train', 'sen sweep status', ... -> the click command (groups included)."""
    found: dict[str, click.Command] = {"sen " + " ".join(prefix) if prefix else "sen": group}
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        if isinstance(cmd, click.Group):
            found |= commands(cmd, path)
        else:
            found["sen " + " ".join(path)] = cmd
    return found


def options(cmd: click.Command) -> set[str]:
    """Every option string a command accepts (``--run-dir``, ``-j``, ...), minus help."""
    names = {
        o for p in cmd.params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts
    }
    return names - _COMMON


def documented(text: str, known: set[str]) -> dict[str, set[str]]:
    """Command -> the options written after a mention of it (up to the next command mention)."""
    by_command: dict[str, set[str]] = {name: set() for name in known}
    pattern = re.compile(
        "|".join(
            r"(?<![\w/.-])" + re.escape(n) + r"(?![\w/.@-])"
            for n in sorted(known, key=len, reverse=True)
        )
    )
    for line in text.splitlines():
        mentions = list(pattern.finditer(line))
        for i, m in enumerate(mentions):
            end = mentions[i + 1].start() if i + 1 < len(mentions) else len(line)
            by_command[m.group(0)] |= set(_OPTION.findall(line[m.end() : end]))
    return by_command


def test_every_command_is_documented() -> None:
    """Each command (`sen train`, `sen sweep status`, ...) is named in docs/cli.md."""
    text = DOC.read_text()
    missing = [name for name in commands() if not re.search(re.escape(name) + r"(?![\w-])", text)]
    assert not missing, "docs/cli.md does not mention: " + ", ".join(missing)


def test_every_option_is_documented_with_its_command() -> None:
    """Each option appears after a mention of its command; docs name no option that is not there."""
    cmds = commands()
    docs = documented(DOC.read_text(), set(cmds))
    root = options(cli) | {"--version"}
    problems = []
    for name, cmd in sorted(cmds.items()):
        have = options(cmd)
        problems += [
            f"docs/cli.md: `{name}` option {o} is missing (add it after a mention of `{name}`)"
            for o in sorted(have - docs[name])
        ]
        problems += [
            f"docs/cli.md: `{name}` has no option {o} (see `{name} --help`)"
            for o in sorted(docs[name] - have - _COMMON - (root if name == "sen" else set()))
        ]
    assert not problems, "\n".join(problems)


def test_documented_finds_options_after_their_command() -> None:
    """The parser attributes options to the nearest preceding command mention."""
    got = documented(
        "| `sen sweep X [-j N]`; `sen sweep status DIR --json` |", {"sen sweep", "sen sweep status"}
    )
    assert got == {"sen sweep": {"-j"}, "sen sweep status": {"--json"}}
