"""``leadbot migrate``: bring the database schema up to date."""

from __future__ import annotations

import click
from sqlalchemy.exc import DBAPIError

from bot.cli.common import command, fail, pass_settings
from bot.cli.importing import first_line
from bot.config import ConfigError, Settings
from bot.logsafe import without_password
from bot.migrate import current_revision, upgrade
from bot.schema import Verdict, check, head


@command(name="migrate")
@pass_settings
def migrate_command(settings: Settings) -> None:
    """Apply the database migrations (safe to run repeatedly)."""
    url = settings.database.url
    try:  # only opening the connection is bounded: a migration may run long statements
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
        # One line: the driver's message, not the SQL, its parameters or a help link.
        text = without_password(url, first_line(exc))
        kind = "" if isinstance(exc, DBAPIError) else f"{type(exc).__name__}: "
        fail(f"cannot migrate the database: {kind}{text}")
        return
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")


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
