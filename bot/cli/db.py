"""``leadbot migrate``: bring the database schema up to date."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli.common import command, fail, pass_settings
from bot.cli.importing import first_line
from bot.config import ConfigError, Settings
from bot.logsafe import without_password
from bot.migrate import current_revision, upgrade
from bot.migrate_watch import MigrationWatch
from bot.schema import Verdict, check, head


@command(name="migrate")
@pass_settings
def migrate_command(settings: Settings) -> None:
    """Apply the database migrations (safe to run repeatedly)."""
    url = settings.database.url
    watch = MigrationWatch(settings.database)
    try:  # a migration may run long statements; a database that falls silent is watched
        with watch:
            before = current_revision(url, settings.database)
            if check(before).verdict is Verdict.UNKNOWN:
                _newer(before)
                return
            upgrade(url, limits=settings.database)
            after = current_revision(url, settings.database)
    except ConfigError as exc:
        fail(str(exc), 2)
        return
    except Exception as exc:  # refused, unknown database, no permission, a failed step
        if watch.silent_seconds is not None:
            fail(_silent(url, watch.silent_seconds))
            return
        # One line: the driver's message, not the SQL, its parameters or a help link.
        text = without_password(url, first_line(exc))
        kind = "" if isinstance(exc, DBAPIError) else f"{type(exc).__name__}: "
        fail(f"cannot migrate the database: {kind}{text}")
        return
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")


def _silent(url: str, seconds: float) -> str:
    """The database stopped answering half-way (bot/migrate_watch.py): which one (never
    its password), and that a rerun is safe — the transaction was not committed."""
    shown = make_url(url).render_as_string(hide_password=True)
    return (
        f"cannot migrate the database {shown}: it stopped answering in the middle of the "
        f"migration (no answer for {seconds:.0f} s); nothing of it was committed — run "
        "`leadbot migrate` again once the database answers"
    )


def _newer(found: str | None) -> None:
    """A database a newer leadbot migrated (during a rolling upgrade, or after going back to
    this version): nothing for this one to do. Not an error — a deployment that runs
    ``leadbot migrate`` before it starts the older version goes on, and the older version
    starts on the newer schema with a warning (:mod:`bot.schema`)."""
    click.echo(
        f"Database is at revision {found}, newer than this leadbot's migrations (up to "
        f"{head()}): nothing to migrate. A newer leadbot migrated it; this one can work on "
        "it as long as the newer migrations only add to the schema."
    )
