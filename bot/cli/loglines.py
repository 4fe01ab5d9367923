"""How leadbot's commands log: ``serve``'s log, and the warnings of the other commands.

:func:`configure_logging` sets up ``serve``'s log. The other commands configure none: a
warning that leadbot or a library logs while an import or a report runs — Redis not
answering, say — reached stderr through Python's last-resort handler, bare (``redis is
not answering …``) beside the commands' own ``leadbot: warning: …`` lines, and without the
redaction of secrets that the server's log has. :func:`install` makes that handler speak
like the commands: ``leadbot: warning: redis is not answering …``, escaped, with every
configured secret replaced by ``***``. Only the last resort is replaced: a process that
configured logging (``serve``, a test) keeps its own handlers.
"""

from __future__ import annotations

import logging
import sys

from bot.config import Settings
from bot.logsafe import RedactSecrets, SafeFormatter, log_secrets
from bot.outagelog import OutageLogLines


class _CommandLine(SafeFormatter):
    """``leadbot: warning: <message>``, as the commands' own lines read."""

    def format(self, record: logging.LogRecord) -> str:
        return f"leadbot: {record.levelname.lower()}: {super().format(record)}"


class _Stderr(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (a test runner may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries whose chatty levels would log secrets or personal data stay at WARNING whatever
# the level: aiosqlite's DEBUG lines show each statement with its parameters, httpx/httpcore
# log request URLs (the Telegram Bot API has the bot token in its URL path), python-telegram-bot
# logs its Bot API URL and every call's parameters (a lead's details to the claimer),
# slack_sdk logs request bodies, slack_bolt request bodies, websockets (Socket Mode) frames.
QUIET_LOGGERS = (
    "aiosqlite",
    "asyncpg",
    "httpx",
    "httpcore",
    "sqlalchemy.engine",
    "telegram",
    "slack_sdk",
    "slack_bolt",
    "websockets",
    "aiohttp",
)


def configure_logging(level: str, settings: Settings | None = None) -> None:
    """Root logging for ``serve``: one line per record, escaped, with no configured secret.

    Every handler gets :class:`~bot.logsafe.SafeFormatter` (control characters escaped,
    continuation lines indented) and :class:`~bot.logsafe.RedactSecrets` (each secret in
    ``settings`` replaced by ``***``), so even a library that logs a URL with a token, at
    any level, does not put the token into the log. A record about a database outage
    becomes one WARNING line without a traceback, not repeated more than once a minute
    (:class:`~bot.outagelog.OutageLogLines`).
    """
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    secrets = log_secrets(settings) if settings is not None else []
    for handler in logging.getLogger().handlers:
        handler.setFormatter(SafeFormatter(LOG_FORMAT))
        handler.addFilter(RedactSecrets(secrets))
        handler.addFilter(OutageLogLines())


def install(settings: Settings) -> None:
    """Make the last-resort handler print a command's warnings as ``leadbot: warning: …``."""
    handler = _Stderr(logging.WARNING)
    handler.setFormatter(_CommandLine("%(message)s"))
    handler.addFilter(RedactSecrets(log_secrets(settings)))
    logging.lastResort = handler
