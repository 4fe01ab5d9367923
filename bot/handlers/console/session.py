"""The console chat loop: read a line, run it through the core, deliver the outbox, repeat.

It reads stdin, so a script can drive it (``printf 'as anna@…\\nclaim 3\\n' | make run``).
After every command the outbox is drained through the console transport and due timers
are fired, exactly as the server's sender and scheduler loops would.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from bot.chat.interactions import Identity, Interactions, Reply, identify
from bot.clock import OffsetClock
from bot.delivery.sender import OutboxSender
from bot.handlers.console.commands import STAFF_ONLY, Command, UsageError, parse
from bot.handlers.console.platform import escape_console
from bot.handlers.console.render import render_leads, render_reply, render_report, render_view
from bot.handlers.console.transport import ConsoleTransport, Inbox, visible_addresses
from bot.leads.progress import Report, StatusAction
from bot.leads.scheduler import run_due_timers
from bot.models import Platform
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime

BACKLOG_SHOWN = 6
STAFF = Identity(Platform.CONSOLE, "staff", name="staff", is_staff=True)

_REPORTS = {
    "contacted": StatusAction.CONTACTED,
    "meeting": StatusAction.MEETING,
    "proposal": StatusAction.PROPOSAL,
    "won": StatusAction.WON,
    "lost": StatusAction.LOST,
    "followup": StatusAction.FOLLOW_UP,
    "handback": StatusAction.HAND_BACK,
}

HELP = """Commands (type them, or pipe a script into `leadbot console`):
  as staff | as <rep e-mail>   act as the manufacturer's staff or as a partner's rep
  whoami                       who you are acting as
  teasers                      open teasers in your partner's channel
  claim <offer>                claim the lead behind a teaser
  leads | lead <id>            your open leads (staff: the pipeline) | one lead in full
  contacted|meeting|proposal <lead> [note]
  won <lead> <revenue €>       lost <lead> <reason> [note]
  followup <lead> <date>       handback <lead> <reason> [note]
  staff only: release <lead> [consent] · reoffer <lead> · recall <lead> · erase <lead>
              explain <lead> [partner] · report · outbox
  wait <30m|2h|1d>             let time pass (fires waves, reminders, recalls)
  help · quit"""


class ConsoleSession:
    def __init__(self, runtime: Runtime, out: Callable[[str], None] = print) -> None:
        self.runtime = runtime
        self.out = out
        self.inbox = Inbox(out)
        self.sender = OutboxSender(runtime, {Platform.CONSOLE: ConsoleTransport(self.inbox)})
        self.interactions = Interactions(runtime)
        self.identity = STAFF

    @property
    def language(self) -> str:
        return (
            self.identity.language if self.identity.rep_id else self.runtime.settings.staff.language
        )

    @property
    def prompt(self) -> str:
        return f"{self.identity.user_id}> "

    async def settle(self) -> None:
        """Fire due timers and deliver everything queued, until nothing moves."""
        for _ in range(50):
            fired = await run_due_timers(self.runtime)
            sent = await self.sender.drain()
            if not fired and not sent:
                return

    async def switch(self, who: str) -> None:
        if who.lower() == "staff":
            self.identity = STAFF
        else:
            found = await identify(self.runtime, Platform.CONSOLE, who.lower())
            if found.rep_id is None:
                self.out(
                    f"✖ no active rep with e-mail {escape_console(who)!r} (see `leadbot reps import`)"
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
        """Messages that arrived while nobody watched: the last few, and how many in all."""
        if len(waiting) > BACKLOG_SHOWN:
            self.out(f"({len(waiting)} messages arrived meanwhile; the last {BACKLOG_SHOWN}:)")
        for text in waiting[-BACKLOG_SHOWN:]:
            self.out(text)

    def whoami(self) -> str:
        if self.identity.rep_id is None:
            return "You are staff (staff feed, all leads)."
        return (
            f"You are {escape_console(self.identity.name or '')} ({self.identity.user_id}), "
            f"rep of partner {self.identity.partner_id}."
        )

    async def execute(self, command: Command) -> bool:
        """Run one command; False when the session should end."""
        who, lang = self.identity, self.language
        name = command.name
        if name == "quit":
            return False
        if name == "help":
            self.out(HELP)
        elif name == "as":
            await self.switch(command.args[0])
        elif name == "whoami":
            self.out(self.whoami())
        elif name in STAFF_ONLY and not who.is_staff:
            self.out("✖ only staff may do that; switch with `as staff`")
        elif name == "teasers":
            teasers = await self.interactions.open_teasers(who)
            self.out(
                "\n".join(render_view(v) for v in teasers) or "No open teasers for your partner."
            )
        elif name == "claim":
            assert command.number is not None
            self.out(render_reply(await self.interactions.claim(who, command.number), lang))
        elif name == "leads":
            leads = await self.interactions.my_leads(who)
            self.out(render_leads(leads, lang, staff=who.is_staff and who.rep_id is None))
        elif name == "lead":
            assert command.lead_id is not None
            card = await self.interactions.lead_card(who, command.lead_id)
            self.out(render_reply(card, lang) if isinstance(card, Reply) else render_view(card))
        elif name in _REPORTS:
            assert command.lead_id is not None
            report = Report(
                _REPORTS[name],
                revenue_eur=command.revenue,
                reason=command.reason,
                note=command.note,
                follow_up_on=command.day,
            )
            self.out(
                render_reply(await self.interactions.report(who, command.lead_id, report), lang)
            )
        elif name in ("release", "reoffer", "recall", "erase"):
            assert command.lead_id is not None
            reply = await self.interactions.staff_action(
                who, name, command.lead_id, consent=command.flag
            )
            self.out(render_reply(reply, lang))
        elif name == "explain":
            assert command.lead_id is not None
            found = await self.interactions.explanation(who, command.lead_id, command.reason)
            if isinstance(found, Reply):
                self.out(render_reply(found, lang))
            else:
                self.out(escape_console("\n".join(found)))
        elif name == "report":
            async with self.runtime.uow() as uow:
                self.out(render_report(await pipeline(uow), lang))
        elif name == "outbox":
            pending = await self.sender.pending()
            self.out(f"{pending} notice(s) waiting in the outbox for the console.")
        elif name == "wait":
            assert command.duration is not None
            clock = self.runtime.clock
            if not isinstance(clock, OffsetClock):
                self.out("✖ time can only be moved in the console's own clock")
            else:
                now = clock.advance(command.duration)
                local = now.astimezone(ZoneInfo(self.runtime.settings.distribution.timezone))
                self.out(f"… time passes: it is now {local:%Y-%m-%d %H:%M}")
        await self.settle()
        return True

    async def handle_line(self, line: str) -> bool:
        today = self.runtime.clock.now().date()
        try:
            command = parse(line, today)
        except UsageError as exc:
            self.out(f"✖ {exc}")
            return True
        if command is None:
            return True
        return await self.execute(command)

    async def run(self, lines: Iterable[str] | None = None, *, echo: bool | None = None) -> None:
        interactive = lines is None and sys.stdin.isatty()
        echo = (not interactive) if echo is None else echo
        self.out("leadbot console — type 'help' for commands, 'quit' to leave.")
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
        self.out("bye.")


async def run_console(runtime: Runtime, lines: Iterable[str] | None = None) -> None:
    session = ConsoleSession(runtime)
    await session.run(lines)
