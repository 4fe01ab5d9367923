"""The one interface the dialogue scenarios talk to, whatever the platform.

A driver plays the people of a world on one platform — the way a person does it there:
a typed line on the console, a button and a modal on Slack, a button and a typed answer
on Telegram, a link and its form in an e-mail — and reads back only what those people
see (the console's screen, the emulators' messages, the mails the SMTP server got).

Adding a platform = one module here with a :class:`ChatDriver` subclass and its
:class:`Setup`, and one line in ``tests/support/chat_world.py``'s ``DRIVERS``
(see docs/testing-emulators.md).
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.config import Settings
from bot.leads.status_reports import StatusAction
from tests.support.botserver import RunningBot

Step = str | tuple[str, str] | tuple[str, date]
"""A status report: ``"contacted"``, ``("won", "12.500")``, ``("lost", "price")``,
``("hand_back", "no_capacity")``, ``("follow_up", date(2026, 3, 5))`` (typed as a person
would type it: the revenue as text, the reason as its code)."""


def split_step(step: Step) -> tuple[StatusAction, Any]:
    """The action of a :data:`Step` and what it needs (None for a one-tap report)."""
    if isinstance(step, str):
        return StatusAction(step), None
    action, value = step
    return StatusAction(action), value


def mentions(text: str, lead_id: int) -> bool:
    """Whether ``text`` is about lead ``lead_id`` (``#12``, not ``#123``)."""
    return re.search(rf"#{lead_id}(?!\d)", text) is not None


@dataclass(frozen=True)
class Member:
    """A partner with its one rep, as the world's directory has them."""

    partner_id: str
    partner_name: str
    rep_id: int
    name: str  # the rep's name
    email: str  # the rep's e-mail (the console's and the e-mail channel's user)
    user: str  # who the rep is on the platform: Slack user id, Telegram user id, e-mail
    channel: str  # where the partner's teasers go: channel, group id, lead inbox, label
    language: str = "de"


@dataclass(frozen=True)
class Teaser:
    """A teaser as a partner's channel showed it first; ``ref`` is the platform's handle
    (a Slack message ts, a Telegram message, a Claim link, None on the console)."""

    member: Member
    lead_id: int
    offer_id: int
    text: str
    ref: Any = None


@dataclass(frozen=True)
class Ids:
    """A member's platform handles, made by :meth:`Setup.ids`."""

    user: str
    channel: str


class Setup(ABC):
    """How a world is built for a platform: settings, directory fields, the emulator."""

    name: str
    fixture: str | None = None
    """The pytest fixture of the platform's emulator (``slack_emulator`` …), if it needs one."""

    @abstractmethod
    def settings(
        self, make_settings: Callable[..., Settings], emulator: Any, **sections: Any
    ) -> Settings:
        """Settings with this platform on (and only it), plus the scenario's ``sections``."""

    @abstractmethod
    def ids(self, index: int, partner_id: str) -> Ids: ...

    def partner_fields(self, ids: Ids) -> dict[str, Any]:
        """Extra columns for the partner (its Slack channel, Telegram group, lead inbox)."""
        return {}

    def rep_fields(self, ids: Ids) -> dict[str, Any]:
        """Extra columns for the rep (Slack user id, Telegram user id …)."""
        return {}

    def prepare(self, emulator: Any, members: Sequence[Member]) -> None:
        """Make the members' channels and users known to the emulator."""
        return None

    @abstractmethod
    async def start(self, bot: RunningBot, emulator: Any, members: Sequence[Member]) -> ChatDriver:
        """The driver for the running ``bot``."""


class ChatDriver(ABC):
    """What the scenarios do and see on one platform. Every wait polls with a deadline."""

    name: str
    edits_teasers: bool = True
    """The platform turns a teaser into "taken" where it is (e-mail cannot take a mail back)."""
    has_staff_feed: bool = True
    """Staff watch a feed on this platform (e-mail has none)."""

    @abstractmethod
    async def teaser(self, member: Member, lead_id: int, offer_id: int) -> Teaser:
        """Wait until ``member``'s channel shows the teaser of ``offer_id``."""

    @abstractmethod
    async def teaser_now(self, teaser: Teaser) -> str:
        """What that teaser shows now (after any edit)."""

    @abstractmethod
    async def teasers_shown(self, member: Member) -> set[int]:
        """The offers of every teaser the member's channel ever showed."""

    @abstractmethod
    async def claim(self, member: Member, teaser: Teaser) -> str:
        """``member`` claims the teaser; what they are told."""

    async def race(self, presses: Sequence[tuple[Member, Teaser]]) -> list[str]:
        """Everyone claims at the same moment; what each is told, in order. (The console
        overrides this: it has one keyboard, so its presses come one after another.)"""
        return list(await asyncio.gather(*(self.claim(m, t) for m, t in presses)))

    @abstractmethod
    async def decline(self, member: Member, teaser: Teaser, reason: str) -> str:
        """``member`` says "Not for us" with ``reason`` (a code, e.g. ``no_capacity``);
        what they are told ("" where the platform answers only by editing the teaser)."""

    @abstractmethod
    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        """Wait until a direct message (DM, private chat, mail) about the lead shows
        ``containing``: the lead card as it is now, a reminder, the content pack; the text."""

    @abstractmethod
    async def private(self, member: Member) -> str:
        """Everything the member got privately so far (direct messages, mails)."""

    @abstractmethod
    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        """The member reports ``step`` on the lead; what they are told directly ("" when
        the platform answers only by updating the card)."""

    async def command(self, member: Member, text: str) -> str:
        """``member`` types the command ``text`` (the shared grammar) where the platform
        takes typed commands; their answer."""
        raise NotImplementedError(f"{self.name}: no typed commands in these scenarios yet")

    @abstractmethod
    async def staff(self, text: str) -> str:
        """Staff give the command ``text`` (the shared grammar); their answer."""

    @abstractmethod
    async def staff_feed(self) -> str:
        """The staff feed as staff see it now ("" where there is none)."""

    async def settle(self) -> None:
        """Deliver what this platform's own process holds (the console drains itself)."""
        return None

    async def close(self) -> None:
        """Release what the driver opened."""
        return None
