"""The console, in-process: ``leadbot console``'s session typed into by the scenarios.

:class:`Terminal` is one console — a :class:`~bot.handlers.console.session.ConsoleSession`
on a runtime — with its screen kept line by line together with who was at the keyboard
(``staff`` or a rep's e-mail, switched with ``as``). As in the real console, after every
line the session itself delivers the console's outbox and fires due timers; a person sees
their partner's channel, their direct messages and (staff) the staff feed, and what
arrived for someone else waits until ``as`` switches to them.

The console has one keyboard, so its "race" is presses in quick succession: the database
still decides, and the loser is told the lead is taken. Between a rep's turns the console
goes back to staff, so the staff feed is seen as it happens (a switch shows only the last
few waiting messages; :meth:`Terminal.switch` fails loudly if any were hidden).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.chat.grammar import ACTION_VERBS
from bot.config import Settings
from bot.handlers.console.session import ConsoleSession
from bot.leads.status_reports import StatusAction
from bot.runtime import Runtime
from tests.support.botserver import RunningBot
from tests.support.drivers.base import (
    ChatDriver,
    Ids,
    Member,
    Setup,
    Step,
    Teaser,
    mentions,
    split_step,
)
from tests.support.world import eventually

STAFF = "staff"
HEADINGS = {
    "de": ("[Feed der Mitarbeitenden]", "[Kanal {}]", "[Direktnachricht]"),
    "en": ("[staff feed]", "[channel {}]", "[direct message]"),
}
"""The console's headings in each language: the staff feed, a partner's channel, a DM."""
HIDDEN = re.compile(r"^\((\d+) messages arrived meanwhile")
TEASER_OFFER = re.compile(r"\bclaim (\d+)\b|\((?:Angebot|offer) (\d+)\):")


@dataclass(frozen=True)
class Shown:
    viewer: str  # who was at the console when it was printed
    text: str


class Terminal:
    """One console session whose screen is kept; one keyboard (a lock) types into it."""

    def __init__(self, runtime: Runtime) -> None:
        self.screen: list[Shown] = []
        self.session = ConsoleSession(runtime, out=self._print)
        self.keyboard = asyncio.Lock()

    def _print(self, text: str) -> None:
        self.screen.append(Shown(self.viewer, text))

    @property
    def viewer(self) -> str:
        return self.session.identity.user_id

    async def switch(self, who: str) -> None:
        """``as <who>`` unless they are at the console already (call with the keyboard)."""
        if self.viewer == who:
            return
        start = len(self.screen)
        await self.session.handle_line(f"as {who}")
        assert self.viewer == who, self.screen[start:]
        hidden = [s.text for s in self.screen[start:] if HIDDEN.match(s.text)]
        assert not hidden, f"the console hid messages for {who}: {hidden}; look more often"

    async def type(self, who: str, line: str) -> str:
        """``who`` types ``line``; the answer (the first thing printed)."""
        async with self.keyboard:
            await self.switch(who)
            start = len(self.screen)
            await self.session.handle_line(line)
            answer = self.screen[start].text if len(self.screen) > start else ""
            await self.switch(STAFF)  # staff keep an eye on the feed between turns
            return answer

    async def look(self, who: str) -> list[str]:
        """Everything ``who`` has seen, after delivering what waits for them."""
        async with self.keyboard:
            await self.switch(who)
            await self.session.settle()
            seen = [s.text for s in self.screen if s.viewer == who]
            await self.switch(STAFF)
            return seen

    async def settle(self) -> None:
        async with self.keyboard:
            await self.session.settle()


def _channel_of(member: Member) -> tuple[str, ...]:
    """The heading of the partner's channel, in the partner's language (either)."""
    return tuple(words[1].format(member.partner_id) for words in HEADINGS.values())


def _direct(member: Member) -> str:
    return HEADINGS[member.language][2]


def _teaser_offers(text: str) -> set[int]:
    """Offer ids in a console teaser: ``claim 7`` while open, ``(Angebot 7):`` once closed."""
    return {int(open_ or closed) for open_, closed in TEASER_OFFER.findall(text)}


def command_line(lead_id: int, step: Step) -> str:
    """The line a rep types for ``step``, from the one grammar (``won 12 12.500``)."""
    action, value = split_step(step)
    verb = ACTION_VERBS[action].name
    if value is None:
        return f"{verb} {lead_id}"
    if action is StatusAction.FOLLOW_UP:
        value = value.isoformat()
    return f"{verb} {lead_id} {value}"


class ConsoleChat(ChatDriver):
    name = "console"

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    async def _seen(self, member: Member, label: str | tuple[str, ...]) -> list[str]:
        return [s for s in await self.terminal.look(member.email) if s.startswith(label)]

    async def teaser(self, member: Member, lead_id: int, offer_id: int) -> Teaser:
        async def shown() -> str | None:
            seen = await self._seen(member, _channel_of(member))
            found = [s for s in seen if re.search(rf"\bclaim {offer_id}\b", s)]
            return found[-1] if found else None

        text = await eventually(shown, what=f"teaser {offer_id} in {member.partner_id}'s channel")
        return Teaser(member, lead_id, offer_id, text)

    async def teaser_now(self, teaser: Teaser) -> str:
        seen = await self._seen(teaser.member, _channel_of(teaser.member))
        return [s for s in seen if teaser.offer_id in _teaser_offers(s)][-1]

    async def teasers_shown(self, member: Member) -> set[int]:
        seen = await self._seen(member, _channel_of(member))
        return {offer for text in seen for offer in _teaser_offers(text)}

    async def claim(self, member: Member, teaser: Teaser) -> str:
        return await self.terminal.type(member.email, f"claim {teaser.offer_id}")

    async def race(self, presses: Sequence[tuple[Member, Teaser]]) -> list[str]:
        return [await self.claim(member, teaser) for member, teaser in presses]

    async def decline(self, member: Member, teaser: Teaser, reason: str) -> str:
        return await self.terminal.type(member.email, f"decline {teaser.offer_id} {reason}")

    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        async def shown() -> str | None:
            found = [
                s
                for s in await self._seen(member, _direct(member))
                if mentions(s, lead_id) and containing in s
            ]
            return found[-1] if found else None

        return await eventually(shown, what=f"{containing!r} on {member.name}'s card #{lead_id}")

    async def private(self, member: Member) -> str:
        return "\n".join(await self._seen(member, _direct(member)))

    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        return await self.terminal.type(member.email, command_line(lead_id, step))

    async def command(self, member: Member, text: str) -> str:
        return await self.terminal.type(member.email, text)

    async def staff(self, text: str) -> str:
        return await self.terminal.type(STAFF, text)

    async def staff_feed(self) -> str:
        feed = HEADINGS[self.terminal.session.runtime.settings.staff.language][0]
        return "\n".join(s for s in await self.terminal.look(STAFF) if s.startswith(feed))

    async def settle(self) -> None:
        await self.terminal.settle()


class ConsoleSetup(Setup):
    """The served bot takes leads over the API (console notices only queue there); the
    in-process console delivers and shows them — ``leadbot serve`` and ``leadbot console``
    on one database."""

    name = "console"

    def settings(
        self, make_settings: Callable[..., Settings], emulator: Any, **sections: Any
    ) -> Settings:
        return make_settings(console={"enabled": True}, **sections)

    def ids(self, index: int, partner_id: str) -> Ids:
        email = f"rep@{partner_id.lower()}.example"
        return Ids(user=email, channel=f"partner:{partner_id}")

    async def start(self, bot: RunningBot, emulator: Any, members: Sequence[Member]) -> ChatDriver:
        return ConsoleChat(Terminal(bot.runtime))
