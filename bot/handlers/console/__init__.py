"""The console chat: a terminal platform that goes through the same core and outbox."""

from bot.handlers.console.session import ConsoleSession, run_console

__all__ = ["ConsoleSession", "run_console"]
