"""Every command and command group has ``--help`` and ``--config`` (DESIGN §6)."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from bot.cli import main


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
