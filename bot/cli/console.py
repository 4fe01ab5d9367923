"""``leadbot console``: the chat in the terminal, on the same core and outbox as Slack/Telegram.

Like ``leadbot serve``, it does not start (exit status 1) when ``LEADBOT_SERVER__TOMBSTONE_KEY``
is not the key the database's tombstones are made with (:mod:`bot.crm.tombstones`). The
console takes no leads in, but staff erase leads in it: an erasure with another key would
be refused only when typed, after a session's work, and the start is where the other
processes say so. It records no key at its start (an erasure does, as everywhere).
"""

from __future__ import annotations

import contextlib

import click

from bot.cli.common import command, fail, pass_settings, run_async
from bot.cli.importing import require_database
from bot.clock import OffsetClock
from bot.config import ConfigError, Settings, TombstoneKeyMismatch
from bot.crm.tombstones import settle_key
from bot.handlers.console.session import run_console
from bot.i18n import t
from bot.runtime import Runtime
from bot.web.parts import platform_parts


async def _console(settings: Settings) -> None:
    runtime = Runtime.create(settings.with_console(), clock=OffsetClock())
    try:
        await settle_key(runtime.sessions, settings, runtime.clock.now(), record=False)
        parts = platform_parts(runtime)
        async with contextlib.AsyncExitStack() as stack:
            for context in parts.contexts:
                await stack.enter_async_context(context())
            await run_console(runtime)
    finally:
        await runtime.close()


@command(name="console")
@pass_settings
def console_command(settings: Settings) -> None:
    """Chat with leadbot in the terminal: act as staff or as any rep, claim and report.

    Reads commands from stdin, so a script can drive it:
    printf 'as anna@example.de\\nteasers\\nquit\\n' | leadbot console
    """
    require_database(settings)
    try:
        run_async(_console(settings))
    except ConfigError as exc:  # a platform cannot start as configured (e.g. a missing token)
        fail(str(exc), 2)
    except TombstoneKeyMismatch as exc:  # checked before the session starts
        fail(f"not starting: {exc}")
    except KeyboardInterrupt:  # Ctrl-C: said in the staff's language, as the session starts
        click.echo("\n" + t(settings.staff.language, "console.bye"))
