"""What the commands share: a ready and migrated database (every command), the problem
report and a progress bar (the imports)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, DatabaseSettings, Settings
from bot.dbfaults import unavailable
from bot.logsafe import without_password
from bot.migrate import schema_revision
from bot.schema import Verdict, check

PROGRESS_FROM_ROWS = 200  # smaller files finish before a bar would be worth drawing

FILE_ARGUMENT = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
DRY_RUN_OPTION = click.option(
    "--dry-run", is_flag=True, help="Check the file and show what would change; store nothing."
)


SCHEMA_CHECKED = "leadbot.schema_checked"
"""``ctx.meta`` key: the database URLs this command has checked (:func:`require_database`)."""


def require_database(settings: Settings, *, refusal: str = "") -> None:
    """Stop with one line unless the database is there and migrated for this leadbot:
    missing, unreachable, without a schema, or at an older revision than this code's
    migrations ("the database is at revision 0011, this leadbot needs 0012: run `leadbot
    migrate`") — instead of a "no such table" or "column … does not exist" trace, or a
    command that fails halfway. A schema newer than this code (a newer leadbot migrated
    it) is a warning: an older leadbot can work on it while a rollout or a rollback goes
    on (:mod:`bot.schema`). ``refusal`` goes before the message about the schema
    (``serve``: "not starting: ").

    Every command that uses the database comes here before its first read, once per
    command: ``serve``, the imports and a few others ask themselves, before they read
    their input; :func:`bot.cli.common.run_async` asks for every other command.

    The check reads on the command's own engine, within every ``[database]`` limit: a
    database that accepts connections and never answers stops the command after about
    the connect (or command) timeout instead of hanging it (docs/database-outages.md)."""
    ctx = click.get_current_context(silent=True)
    checked: set[str] = ctx.meta.setdefault(SCHEMA_CHECKED, set()) if ctx is not None else set()
    if settings.database.url in checked:
        return
    url = make_url(settings.database.url) if "://" in settings.database.url else None
    if url is not None and url.get_backend_name() == "sqlite":
        path = url.database or ""
        if path and path != ":memory:" and not Path(path).exists():
            # Opening it would leave an empty file behind; say what to do instead.
            fail(f"{refusal}no database at {path}; run `leadbot migrate` first")
    try:
        revision = asyncio.run(schema_revision(settings.database))
    except ConfigError as exc:
        fail(str(exc), 2)
    except OSError as exc:  # TimeoutError included: asyncpg raises them unwrapped
        if unavailable(exc) is None:
            raise
        fail(f"cannot reach the database: {unreachable(exc, settings.database)}")
    except SQLAlchemyError as exc:
        text = without_password(settings.database.url, first_line(exc))
        fail(f"cannot open the database: {type(exc).__name__}: {text}")
    schema = check(revision)
    if schema.refused:
        fail(refusal + schema.command_line())
    if schema.verdict is Verdict.UNKNOWN:
        click.echo(f"leadbot: warning: {schema.newer()}", err=True)
    checked.add(settings.database.url)


def unreachable(exc: OSError, database: DatabaseSettings | None) -> str:
    """Why the database cannot be reached, in one line without the URL's password: the
    error type and the driver's first line, or for a timeout (asyncpg's says nothing) the
    limits leadbot waited within, e.g. ``no answer in time (TimeoutError; limits: connect
    3 s, command 4 s)`` — which of them ran out the error does not say."""
    kind = type(exc).__name__
    if not str(exc).strip() and isinstance(exc, TimeoutError):
        if database is None:
            return f"no answer in time ({kind})"
        connect, command = database.connect_timeout_seconds, database.command_timeout
        return f"no answer in time ({kind}; limits: connect {connect:g} s, command {command:g} s)"
    text = first_line(exc)
    return f"{kind}: {without_password(database.url, text) if database is not None else text}"


def first_line(exc: BaseException) -> str:
    """An error's first line: driver messages go on to list the SQL and its parameters."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def fail(message: str, code: int = 1) -> NoReturn:
    """``leadbot: message`` on stderr and exit ``code``: every command's one way to refuse."""
    click.echo(f"leadbot: {message}", err=True)
    sys.exit(code)


def report_problems(path: Path, problems: Sequence[object]) -> NoReturn:
    """Every problem, one per line, then exit 1: a file with problems imports nothing."""
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    lines = [f"leadbot: {path} has {count} {noun}; nothing was imported:"]
    lines += [f"  {problem}" for problem in problems]
    click.echo("\n".join(lines), err=True)
    sys.exit(1)


def done(path: Path, summary: object, dry_run: bool) -> None:
    suffix = " (dry run: nothing was changed)" if dry_run else ""
    click.echo(f"{path}: {summary}{suffix}")


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A transient bar on stderr for long files on a terminal; a no-op otherwise."""
    console = Console(stderr=True)
    if total < PROGRESS_FROM_ROWS or not console.is_terminal:
        yield lambda: None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
