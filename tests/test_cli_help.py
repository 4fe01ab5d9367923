"""Every command and command group has ``--help`` and ``--config`` (DESIGN §6), and every
command README.md and docs/ show exists with the options they give it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.support.markdown import code_spans, doc_files, shell_lines


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*path, name)))
        else:
            found.append((*path, name))
    return found


def test_every_command_documents_config() -> None:
    runner = CliRunner()
    for path in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "--config" in result.output, f"`leadbot {' '.join(path)} --help` lacks --config"


def test_number_options_show_their_range() -> None:
    """As click's ``IntRange`` showed it (``[0<=x<=65535]``), in fewer characters."""
    runner = CliRunner()
    for path, shown in (
        (("serve",), "--port 0-65535"),
        (("explain",), "--limit 0+"),
        (("reps", "invite"), "--hours 1-2160"),
    ):
        result = runner.invoke(main, [*path, "--help"])
        assert shown in result.output, result.output


def _help(*path: str) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_the_import_help_names_every_column_the_file_may_have() -> None:
    from bot.directory import partners, reps

    for path, columns in (
        (("partners", "import"), partners.REQUIRED + partners.OPTIONAL),
        (("reps", "import"), reps.REQUIRED + reps.OPTIONAL),
    ):
        shown = _help(*path)
        listed = shown[shown.index("Columns:") : shown.index("Options:")]
        assert "email" in columns
        for column in columns:
            assert re.search(rf"(?<![\w-]){column}(?![\w-])", listed), (path, column, listed)


def test_report_help_gives_the_default_range_from_the_settings() -> None:
    shown = _help("report")
    assert "[cockpit] default_days days, 90" in shown
    assert "90 days ago" not in shown


# What the docs quote from leadbot's output or log (a code span beginning with "leadbot "
# that is a message, not a command).
_QUOTED_MESSAGES = ("leadbot cannot check this request",)


def _documented_commands(file: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """Every ``leadbot …`` command ``file`` shows (code spans and shell blocks), as (the text,
    the command's path, what follows it). ``a|b|c`` names several subcommands; a ``|``
    between values (``FILE.csv|FILE.json``, ``text|csv|json``) stays with its command."""
    found = []
    for shown in code_spans(file) + shell_lines(file):
        if not shown.startswith("leadbot ") or shown.startswith(_QUOTED_MESSAGES):
            continue
        words = shown.split()[1:]
        group: click.Command = main
        path: tuple[str, ...] = ()
        while words and isinstance(group, click.Group) and words[0] in group.commands:
            group = group.commands[words[0]]
            path = (*path, words.pop(0))
        rest = " ".join(words)
        if not isinstance(group, click.Group) or not rest or not rest[0].isalpha():
            found.append((shown, path, rest))
            continue
        for alternative in rest.split("|"):
            name, _, tail = alternative.partition(" ")
            if name in group.commands or not found or found[-1][0] != shown:
                found.append((shown, (*path, name), tail))
            else:
                found[-1] = (shown, found[-1][1], f"{found[-1][2]}|{alternative}")
    return found


@pytest.mark.parametrize("file", doc_files(), ids=lambda file: file.name)
def test_every_command_the_docs_show_exists_with_the_options_they_give(file: Path) -> None:
    """``leadbot <command> --help`` works for each command README.md and docs/ show an
    operator, and each ``--option`` written after it is one that command takes."""
    runner = CliRunner()
    problems = []
    for shown, path, rest in _documented_commands(file):
        result = runner.invoke(main, [*path, "--help"])
        if result.exit_code != 0:
            problems.append(f"`{shown}`: `leadbot {' '.join(path)}` is no command")
            continue
        command = main
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        params = command.get_params(click.Context(command))  # --help too
        # A flag pair (--on/--off) has its second spelling in secondary_opts.
        known = {o for param in params for o in (*param.opts, *param.secondary_opts)}
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
            if option not in known:
                problems.append(f"`{shown}`: `leadbot {' '.join(path)}` has no {option}")
    assert not problems, "\n".join(problems)
