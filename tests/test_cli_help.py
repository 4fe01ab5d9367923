"""Every command and command group has ``--help`` and ``--config`` (DESIGN §6)."""

from __future__ import annotations

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
