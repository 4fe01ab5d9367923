"""The console in-process, one line at a time: type a line, read what it printed.

For tests that check one answer after another. The scenario driver — a screen kept per
viewer, outbox and timers as the real console runs them — is
:class:`tests.support.drivers.console.Terminal`.
"""

from __future__ import annotations

from bot.handlers.console.session import ConsoleSession
from bot.runtime import Runtime


class Console:
    """The console, in-process: type a line, read what it printed."""

    def __init__(self, runtime: Runtime) -> None:
        self.lines: list[str] = []
        self.session = ConsoleSession(runtime, out=self.lines.append)

    async def __call__(self, line: str) -> str:
        """What the console printed for ``line`` (its lines joined), and nothing earlier."""
        self.lines.clear()
        await self.session.handle_line(line)
        return "\n".join(self.lines)
