"""``leadbot console``: the chat in the terminal, on the same core and outbox as Slack/Telegram."""

from __future__ import annotations

import contextlib

import click

from bot.cli.common import command, fail, pass_settings, run_async
from bot.cli.importing import require_database
from bot.clock import OffsetClock
from bot.config import ConfigError, Settings
from bot.handlers.console.session import run_console
from bot.i18n import t
from bot.runtime import Runtime
from bot.web.parts import platform_parts


async def _console(settings: Settings) -> None:
    runtime = Runtime.create(settings.with_console(), clock=OffsetClock())
    parts = platform_parts(runtime)
    try:
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
    except KeyboardInterrupt:  # Ctrl-C: said in the staff's language, as the session starts
        click.echo("\n" + t(settings.staff.language, "console.bye"))
