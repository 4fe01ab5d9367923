"""``leadbot migrate``: bring the database schema up to date."""

from __future__ import annotations

import click

from bot.cli.common import command, fail, pass_settings
from bot.config import ConfigError, Settings
from bot.migrate import current_revision, upgrade


@command(name="migrate")
@pass_settings
def migrate_command(settings: Settings) -> None:
    """Apply the database migrations (safe to run repeatedly)."""
    url = settings.database.url
    try:
        before = current_revision(url)
        upgrade(url)
        after = current_revision(url)
    except ConfigError as exc:
        fail(str(exc), 2)
        return
    except Exception as exc:  # connection refused, permissions, ...
        fail(f"cannot migrate the database: {type(exc).__name__}: {exc}")
        return
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")
