"""``leadbot tombstones check|reset-key``: the key that keeps erased leads out.

Every leadbot process needs the database's tombstone key (:mod:`bot.crm.tombstones`).
``check`` says whether this shell has it, changing nothing; ``reset-key`` makes this
shell's key the database's on purpose — for a key that is lost — knowing that the leads
erased under the old one can come back (tombstones cannot be hashed again).
"""

from __future__ import annotations

from datetime import datetime

import click

from bot.cli.common import command, config_option, confirmed, pass_settings, run_async
from bot.cli.importing import fail, require_database
from bot.config import Settings
from bot.crm.tombstones import (
    KEY_ENV,
    KeyState,
    configured_key,
    key_mismatch,
    key_state,
    reset_key,
)
from bot.runtime import Runtime
from bot.sessions import plain_session


@click.group(name="tombstones")
@config_option
def tombstones_group() -> None:
    """The tombstone key that keeps erased leads out (LEADBOT_SERVER__TOMBSTONE_KEY)."""


@command(tombstones_group, name="check")
@pass_settings
def tombstones_check(settings: Settings) -> None:
    """Check that LEADBOT_SERVER__TOMBSTONE_KEY is the database's tombstone key: exit
    status 0 if it is (or none is recorded yet), 1 if not. With none recorded yet and
    tombstones already there it says that the key cannot be verified against them
    (still 0). Changes nothing; the key is never shown."""
    require_database(settings)

    async def run() -> KeyState:
        runtime = Runtime.create(settings, pooled=False)
        try:
            async with plain_session(runtime.sessions, read_only=True) as session:
                return await key_state(session, settings)
        finally:
            await runtime.close()

    found = run_async(run())
    state, count = found.state, found.tombstones
    erased = f"{count} tombstone{'' if count == 1 else 's'} of erased leads"
    if state == "other":
        fail(f"{key_mismatch(settings)} The database holds {erased}.")
    if state == "same":
        click.echo(f"The tombstone key fits: {KEY_ENV} is this database's key ({erased}).")
        if found.older and found.recorded_at is not None:
            click.echo(_older_than_the_key(found.older, found.recorded_at))
    elif configured_key(settings) is not None and count:
        click.echo(
            f"No tombstone key recorded yet, and this {KEY_ENV} cannot be verified against "
            f"the {erased} already here: a tombstone is a one-way hash of a value leadbot no "
            "longer has. Those made without a key fit any key; those made with a key fit only "
            "that key. Use the key your leadbot processes used before: the first leadbot "
            "process that uses tombstones with a key records it."
        )
    elif configured_key(settings) is not None:
        click.echo(
            f"No tombstone key recorded yet ({erased}): the first leadbot process that uses "
            f"them with a key records it, and this {KEY_ENV} would do."
        )
    else:
        click.echo(
            f"No tombstone key recorded yet and {KEY_ENV} is not set ({erased}): the "
            "built-in key is used, which anyone can test e-mail addresses against. Set "
            f"{KEY_ENV} for every leadbot process."
        )


def _older_than_the_key(older: int, recorded_at: datetime) -> str:
    """The tombstones a fitting key says nothing about: made before it was recorded."""
    them = "1 of them was" if older == 1 else f"{older} of them were"
    return (
        f"{them} made before the key was recorded ({recorded_at:%Y-%m-%d %H:%M} UTC) and "
        "could not be verified against it: those made without a key fit any key; those made "
        "with another key keep their leads out only under that key."
    )


@command(tombstones_group, name="reset-key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_settings
def tombstones_reset_key(settings: Settings, yes: bool) -> None:
    """Make LEADBOT_SERVER__TOMBSTONE_KEY the database's tombstone key, on purpose: after
    the old key was lost (without a key set: none is recorded). Tombstones are one-way hashes and
    cannot be made again with the new key: leads erased under the old key are no longer
    recognised and can come back through the API or an import. Restart every leadbot
    process with the new key afterwards."""
    require_database(settings)
    if not yes and not confirmed(
        "Leads erased under the old tombstone key will no longer be recognised and can "
        "come back. Make this key the database's"
    ):
        fail("the tombstone key was not changed (not confirmed; in a script, add --yes)")

    async def run() -> None:
        runtime = Runtime.create(settings, pooled=False)
        try:
            async with plain_session(runtime.sessions) as session:
                await reset_key(session, settings, runtime.clock.now())
                await session.commit()
        finally:
            await runtime.close()

    run_async(run())
    if configured_key(settings) is not None:
        click.echo(
            f"The tombstone key is now this {KEY_ENV}; give every leadbot process the same key."
        )
    else:
        click.echo(
            "No tombstone key is recorded now; the first leadbot process with a key records it."
        )
