"""What a command other than ``serve`` prints for a warning logged on its way.

``serve`` configures the log (:func:`bot.cli.serve.configure_logging`). The other commands
do not: a warning that leadbot or a library logs while an import or a report runs — Redis
not answering, say — reached stderr through Python's last-resort handler, bare (``redis is
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


def install(settings: Settings) -> None:
    """Make the last-resort handler print a command's warnings as ``leadbot: warning: …``."""
    handler = _Stderr(logging.WARNING)
    handler.setFormatter(_CommandLine("%(message)s"))
    handler.addFilter(RedactSecrets(log_secrets(settings)))
    logging.lastResort = handler
