"""The console chat loop: read a line, run it through the core, deliver the outbox, repeat.

It reads stdin, so a script can drive it (``printf 'as anna@…\\nclaim 3\\n' | make run``).
After every command the outbox is drained through the console transport and due timers
are fired, exactly as the server's sender and scheduler loops would.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta

from bot.chat.grammar import UsageError, check_text, parse, split
from bot.chat.identity import Identity, identify, staff_identity
from bot.chat.interactions import Interactions
from bot.chat.results import Profile
from bot.clock import OffsetClock
from bot.delivery.sender import OutboxSender
from bot.directory.availability import local_date
from bot.handlers.console.platform import STAFF, escape_console
from bot.handlers.console.render import render_profile, render_reply, render_result
from bot.handlers.console.transport import ConsoleTransport, Inbox, visible_addresses
from bot.handlers.text import moment
from bot.i18n import t
from bot.leads.scheduler import run_due_timers
from bot.models import Platform
from bot.plaintext import quoted
from bot.runtime import Runtime

BACKLOG_SHOWN = 6
SESSION_VERBS = {"as", "wait", "outbox", "more", "quit", "exit"}
BARE_VERBS = frozenset({"outbox", "more", "quit", "exit"})
"""Session verbs that take nothing after them."""
"""What only the console understands; everything else is the shared grammar."""


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1d`` (the console's ``wait``). Raises ValueError."""
    match = re.fullmatch(r"(\d{1,5})\s*(m|min|h|d)", text.strip().lower())
    if not match:
        raise ValueError(f"not a duration: {quoted(text)}")
    n, unit = int(match.group(1)), match.group(2)
    if unit in ("m", "min"):
        return timedelta(minutes=n)
    return timedelta(hours=n) if unit == "h" else timedelta(days=n)


MAX_AHEAD = timedelta(days=90)
"""How far the console's clock may run ahead of the real time, all ``wait``s together."""


def _days(offset: timedelta) -> str:
    return f"{offset / timedelta(days=1):.1f}".removesuffix(".0")


class ConsoleSession:
    def __init__(self, runtime: Runtime, out: Callable[[str], None] = print) -> None:
        self.runtime = runtime
        self.out = out
        self.inbox = Inbox(out, hold=True)
        self.sender = OutboxSender(runtime, {Platform.CONSOLE: ConsoleTransport(self.inbox)})
        self.interactions = Interactions(runtime)
        self.identity = self.staff()
        self.older: list[str] = []  # backlog messages not shown yet (``more``)

    def staff(self) -> Identity:
        """Staff at the console: the core's staff identity, so the core answers them in
        ``[staff] language`` as it does on Slack and Telegram (an ``explain`` too)."""
        return staff_identity(self.runtime.settings, Platform.CONSOLE, STAFF)

    @property
    def language(self) -> str:
        """The language of whoever is at the console: a rep's own, staff ``[staff] language``."""
        return self.identity.language

    @property
    def prompt(self) -> str:
        return f"{self.identity.user_id}> "

    async def settle(self) -> None:
        """Fire due timers and deliver everything queued, until nothing moves."""
        for _ in range(50):
            fired = await run_due_timers(self.runtime)
            sent = await self.sender.drain()
            if not fired and not sent:
                break
        self.inbox.flush()

    async def switch(self, who: str) -> None:
        if who.lower() == STAFF:
            self.identity = self.staff()
        else:
            found = await identify(self.runtime, Platform.CONSOLE, who.lower())
            if found.rep_id is None:
                self.out(
                    t(
                        self.language,
                        "console.no_rep",
                        who=quoted(escape_console(who), counted=False),
                    )
                )
                return
            self.identity = found
        waiting = self.inbox.show_to(
            visible_addresses(
                partner_id=self.identity.partner_id,
                rep_id=self.identity.rep_id,
                staff=self.identity.is_staff,
            )
        )
        self.out(f"✔ {self.whoami()}")
        self.show_backlog(waiting)

    def show_backlog(self, waiting: list[str]) -> None:
        """Messages that arrived while nobody watched: the newest few at once; ``more``
        pages back through the older ones, so none is out of reach."""
        self.older = waiting[:-BACKLOG_SHOWN] if len(waiting) > BACKLOG_SHOWN else []
        if self.older:
            self.out(
                t(
                    self.language,
                    "console.backlog",
                    total=len(waiting),
                    shown=BACKLOG_SHOWN,
                    older=len(self.older),
                )
            )
        for text in waiting[-BACKLOG_SHOWN:]:
            self.out(text)

    def show_more(self) -> None:
        """The next page of older messages, newest first page last (in order of arrival)."""
        if not self.older:
            self.out(t(self.language, "console.no_more"))
            return
        page, self.older = self.older[-BACKLOG_SHOWN:], self.older[:-BACKLOG_SHOWN]
        for text in page:
            self.out(text)
        if self.older:
            self.out(t(self.language, "console.still_older", older=len(self.older)))

    def whoami(self) -> str:
        who = self.identity
        profile = Profile(who.name, who.user_id, who.partner_id, who.is_staff, who.is_manager)
        return render_profile(profile, self.language)

    async def session_command(self, verb: str, args: list[str]) -> bool:
        """``as``, ``wait``, ``outbox``, ``quit``; False when the session should end."""
        if verb in BARE_VERBS and args:  # `quit now`: a word too many is said, not ignored
            extra = quoted(escape_console(" ".join(args)), counted=False)
            self.out(t(self.language, "console.bare_extra", verb=verb, text=extra))
            return True
        if verb in ("quit", "exit"):
            return False
        if verb == "as":
            if not args:
                self.out(t(self.language, "console.as_missing"))
            elif len(args) > 1:  # `as staff extra`: who is meant is unclear, so nobody
                extra = quoted(escape_console(" ".join(args[1:])), counted=False)
                self.out(t(self.language, "console.as_extra", text=extra))
            else:
                await self.switch(args[0])
        elif verb == "more":
            self.show_more()
        elif verb == "outbox":
            pending = await self.sender.pending()
            self.out(t(self.language, "console.outbox_waiting", count=pending))
        else:
            self.wait(" ".join(args))
        return True

    def wait(self, text: str) -> None:
        try:
            duration = parse_duration(text)
        except ValueError:
            self.out(
                t(
                    self.language,
                    "console.wait_usage",
                    text=quoted(escape_console(text), counted=False),
                )
            )
            return
        clock = self.runtime.clock
        if not isinstance(clock, OffsetClock):
            self.out(t(self.language, "console.wait_clock"))
            return
        if clock.offset + duration > MAX_AHEAD:
            # What fires meanwhile is written with the console's time (offers, timers,
            # events): bounded, so a slip of the keyboard cannot date rows centuries ahead.
            days = MAX_AHEAD.days
            self.out(t(self.language, "console.wait_too_far", days=days, ahead=_days(clock.offset)))
            return
        now = clock.advance(duration)  # said as every time is (30.11.2026 19:42 in German)
        self.out(t(self.language, "console.time_passes", moment=moment(now, self.language)))

    async def handle_line(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return True
        try:
            check_text(stripped)  # the session's verbs too: `as caf\udce9@…` reached the driver
        except UsageError as exc:
            self.out(render_reply(exc.reply(), self.language))
            return True
        words = split(stripped)
        if words[0].lower() in SESSION_VERBS:
            going_on = await self.session_command(words[0].lower(), words[1:])
        else:
            today = local_date(self.runtime.settings, self.runtime.clock.now())
            try:
                command = parse(stripped, today)
            except UsageError as exc:
                self.out(render_reply(exc.reply(), self.language))
                return True
            result = await self.interactions.execute(self.identity, command)
            self.out(render_result(result, self.language))
            going_on = True
        await self.settle()
        return going_on

    async def run(self, lines: Iterable[str] | None = None, *, echo: bool | None = None) -> None:
        interactive = lines is None and sys.stdin.isatty()
        echo = (not interactive) if echo is None else echo
        self.out(t(self.language, "console.banner"))
        self.inbox.show_to(frozenset())  # collect what queued up while the console was off
        await self.settle()
        self.out(self.whoami())
        self.show_backlog(
            self.inbox.show_to(visible_addresses(partner_id=None, rep_id=None, staff=True))
        )
        source = iter(lines) if lines is not None else None
        loop = asyncio.get_running_loop()
        while True:
            if source is not None:
                line = next(source, None)
            elif interactive:
                try:
                    line = await loop.run_in_executor(None, input, self.prompt)
                except EOFError:
                    line = None
            else:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                line = line if line else None
            if line is None:
                break
            line = line.rstrip("\n")
            if echo and line.strip():
                self.out(f"\n{self.prompt}{line}")
            if not await self.handle_line(line):
                break
        self.out(t(self.language, "console.bye"))


async def run_console(runtime: Runtime, lines: Iterable[str] | None = None) -> None:
    session = ConsoleSession(runtime)
    await session.run(lines)
