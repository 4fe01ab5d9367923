"""The ``leadbot`` command. One module per command group; this one wires them together.

A command's module is imported when the command is run (or listed in a help text), not
at every start: importing all of them (the web server, the cockpit's charts, the console)
took about a second and a half before ``leadbot leads import`` read its first lead.
"""

from __future__ import annotations

import gc
import importlib
import logging
import signal
import sys
from collections.abc import MutableMapping
from typing import NoReturn

import click
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from bot.cli.common import config_option
from bot.cli.importing import first_line, unreachable
from bot.config import ConfigError, TombstoneKeyMismatch
from bot.dbfaults import unavailable
from bot.logsafe import without_password
from bot.schema import schema_error

COMMANDS: dict[str, tuple[str, str]] = {
    "migrate": ("bot.cli.db", "migrate_command"),
    "partners": ("bot.cli.directory", "partners_group"),
    "reps": ("bot.cli.directory", "reps_group"),
    "leads": ("bot.cli.leads", "leads_group"),
    "serve": ("bot.cli.serve", "serve_command"),
    "console": ("bot.cli.console", "console_command"),
    "report": ("bot.cli.staff", "report_command"),
    "erase": ("bot.cli.staff", "erase_command"),
    "content": ("bot.cli.content", "content_group"),
    "explain": ("bot.cli.explain", "explain_command"),
    "outbox": ("bot.cli.outbox", "outbox_group"),
    "cockpit": ("bot.cli.cockpit", "cockpit_group"),
    "campaigns": ("bot.cli.cockpit", "campaigns_group"),
    "webhooks": ("bot.cli.webhooks", "webhooks_group"),
    "tombstones": ("bot.cli.tombstones", "tombstones_group"),
}
"""Each top-level command: the module that defines it and its name there."""

ADDED_BY: dict[str, tuple[str, ...]] = {
    "partners": ("bot.cli.operations",),  # partners pause / resume / email-teasers
    "reps": ("bot.cli.invite",),  # reps invite
    "leads": ("bot.cli.operations", "bot.cli.staff"),  # leads assign / release / reoffer / recall
}
"""Modules that add subcommands to a group of another module when they are imported."""


def _load(name: str) -> click.Command:
    module, attribute = COMMANDS[name]
    for extra in ADDED_BY.get(name, ()):
        importlib.import_module(extra)
    return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]


class LeadbotGroup(click.Group):
    """The ``leadbot`` command: an error a person can act on is said in one line, never as a
    traceback — a setting that cannot be used, a tombstone key that does not fit the
    database, a database without (current) tables, a database that cannot be reached.

    Its commands are loaded when asked for (:data:`COMMANDS`); ``commands`` is all of
    them, loaded."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        loaded = self.__dict__.setdefault("_loaded", {})
        if cmd_name not in loaded and cmd_name in COMMANDS:
            loaded[cmd_name] = _load(cmd_name)
        return loaded.get(cmd_name)  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def commands(self) -> MutableMapping[str, click.Command]:
        loaded = self.__dict__.setdefault("_loaded", {})
        for name in COMMANDS:
            if name not in loaded:
                loaded[name] = _load(name)
        return loaded  # type: ignore[no-any-return]

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self.__dict__.setdefault("_loaded", {}).update(value)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted()
        except TombstoneKeyMismatch as exc:  # raised before anything was written
            click.echo(f"leadbot: {exc} Nothing was changed.", err=True)
            sys.exit(1)
        except ConfigError as exc:
            click.echo(f"leadbot: {exc}", err=True)
            sys.exit(2)
        except (OperationalError, ProgrammingError) as exc:
            # A command checks the schema's revision before it starts (require_database):
            # this is a table or column gone while it ran, or one leadbot never made.
            if schema_error(exc):  # said with the error: on a current schema it is a bug
                text = _no_password(ctx, first_line(exc))
                click.echo(
                    f"leadbot: the database lacks a table or column this command uses "
                    f"({text}); if it was not migrated, run `leadbot migrate` first",
                    err=True,
                )
            else:
                text = first_line(exc)
                click.echo(f"leadbot: database error: {_no_password(ctx, text)}", err=True)
            sys.exit(1)
        except DBAPIError as exc:
            text = _no_password(ctx, first_line(exc))
            click.echo(f"leadbot: cannot use the database: {text}", err=True)
            sys.exit(1)
        except OSError as exc:  # TimeoutError included
            # asyncpg raises socket errors (unknown host, refused port, no TLS) as they are,
            # not wrapped by SQLAlchemy; any other OSError is not ours to explain.
            if unavailable(exc) is None:
                raise
            settings = ctx.meta.get("leadbot.settings")
            reason = unreachable(exc, settings.database if settings is not None else None)
            click.echo(f"leadbot: cannot reach the database: {reason}", err=True)
            sys.exit(1)


INTERRUPTED = 128 + signal.SIGINT
"""The exit status of a command stopped by Ctrl+C (SIGINT), as shells report one: 130."""


def interrupted() -> NoReturn:
    """End a command that Ctrl+C interrupted — ``serve`` while it starts (waiting for a
    database that does not answer, say), an import, a report — with one line and exit
    status 130, as a shell reports a process stopped by SIGINT: click said "Aborted!" and
    exited 1, as if the command had failed. (A running ``serve`` stops cleanly on Ctrl+C
    with status 0, and the console says goodbye: they handle it themselves.)"""
    # A terminal shows "^C" where the cursor is: the line goes below it.
    start = "\n" if sys.stderr.isatty() else ""
    click.echo(f"{start}leadbot: interrupted", err=True)
    # What the interruption left half done (a database connection being opened) may be
    # reported by asyncio as the process ends ("Future exception was never retrieved"):
    # noise after the one line that says what happened.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
    sys.exit(INTERRUPTED)


def _no_password(ctx: click.Context, text: str) -> str:
    """``text`` without the database password, should a driver's message ever quote it."""
    settings = ctx.meta.get("leadbot.settings")
    return without_password(settings.database.url, text) if settings is not None else text


@click.group(cls=LeadbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@config_option
def main() -> None:
    """leadbot: hands the manufacturer's hot leads to the right reseller, in Slack, Telegram
    or by e-mail."""


def run() -> None:
    """The ``leadbot`` command as a process of its own (the console script, ``python -m bot``).

    What starting made — modules, classes, mappers, compiled statements — lives as long as
    the process. Frozen out of the cyclic garbage collector's generations, it is no longer
    walked through at every full collection: a tenth of ``leadbot leads import``'s time
    went to walking it while the leads' objects piled up. The youngest generation is
    collected every 5,000 new objects instead of 700: an import of 2,000 leads spent
    0.34–0.38 s in 708 collections, now 0.15–0.17 s in 226."""
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)
    main()
