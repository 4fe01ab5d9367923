"""E-mail, played against the test's SMTP server: links in mails, and the pages they open.

A partner is reachable only by e-mail (its lead inbox); its rep is their e-mail address.
A rep claims by opening the teaser's Claim link, picking their name on the page and
pressing its button; they report through the links in the card (or the newest status
mail): open the link, fill the page's field (revenue, reason, date), confirm. What people
see is the mails the SMTP server accepted and the pages ``/email/act`` answered.

E-mail has no staff channel (``EmailPlatform.staff_address`` is None). Staff of an
installation whose partners are all on e-mail use ``leadbot console``: here a
:class:`~tests.support.drivers.console.Terminal` on a second runtime over the same
database, with the console switched on as ``leadbot console`` does. Its staff feed shows
only what that console itself caused, so :attr:`EmailChat.has_staff_feed` is False.
A mail cannot be edited, so a taken teaser stays as it was (:attr:`edits_teasers`); its
link tells whoever opens it that the lead is taken.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from bot.config import Settings
from bot.handlers.text import label
from bot.leads.status_reports import StatusAction
from bot.runtime import Runtime
from tests.emulators.smtp import Mail, SmtpServer, token_of
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
from tests.support.drivers.console import STAFF, Terminal
from tests.support.email_world import PUBLIC_URL, Browser, email_section
from tests.support.world import eventually

FIELDS: dict[StatusAction, Callable[[Any], dict[str, str]]] = {
    StatusAction.WON: lambda revenue: {"revenue": revenue},
    StatusAction.LOST: lambda reason: {"reason": reason},
    StatusAction.HAND_BACK: lambda reason: {"reason": reason},
    StatusAction.FOLLOW_UP: lambda day: {"date": day.isoformat()},
}
"""What a rep fills in on each action's page (by the form's field names)."""


def link_payload(url: str) -> dict[str, Any]:
    """What a one-click link says it does (its signed payload, read, not verified)."""
    payload = token_of(url).split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def claim_offer(mail: Mail) -> int | None:
    """The offer a teaser mail's Claim link is for."""
    for url in mail.links():
        data = link_payload(url)
        if data.get("p") == "claim":
            return int(data["t"])
    return None


def _whole(mail: Mail) -> str:
    return f"{mail.subject}\n{mail.text}"


class EmailChat(ChatDriver):
    name = "email"
    edits_teasers = False
    has_staff_feed = False

    def __init__(
        self, bot: RunningBot, smtp: SmtpServer, staff_runtime: Runtime, terminal: Terminal
    ) -> None:
        self.smtp = smtp
        self.browser = Browser(bot.url)
        self.staff_runtime = staff_runtime
        self.terminal = terminal

    async def teaser(self, member: Member, lead_id: int, offer_id: int) -> Teaser:
        mail = await eventually(
            lambda: next(
                (m for m in self.smtp.to(member.channel) if claim_offer(m) == offer_id), None
            ),
            what=f"a teaser mail for offer {offer_id} to {member.channel}",
        )
        [link] = [url for url in mail.links() if link_payload(url)["p"] == "claim"]
        return Teaser(member, lead_id, offer_id, _whole(mail), link)

    async def teaser_now(self, teaser: Teaser) -> str:
        return teaser.text  # a sent mail stays as it is

    async def teasers_shown(self, member: Member) -> set[int]:
        offers = (claim_offer(m) for m in self.smtp.to(member.channel))
        return {offer for offer in offers if offer is not None}

    async def claim(self, member: Member, teaser: Teaser) -> str:
        page = await self.browser.open(teaser.ref)
        if not page.has_form:  # the page already says why not (taken, expired …)
            return page.text
        return (await self.browser.submit(page, rep=member.name)).text

    async def race(self, presses: Sequence[tuple[Member, Teaser]]) -> list[str]:
        """Everyone has the page open, then all press its button at the same moment."""
        pages = [await self.browser.open(teaser.ref) for _, teaser in presses]
        for page in pages:
            assert page.has_form, page.text
        done = await asyncio.gather(
            *(
                self.browser.submit(page, rep=member.name)
                for (member, _), page in zip(presses, pages, strict=True)
            )
        )
        return [page.text for page in done]

    async def decline(self, member: Member, teaser: Teaser, reason: str) -> str:
        mail = next(m for m in self.smtp.to(member.channel) if claim_offer(m) == teaser.offer_id)
        [link] = [url for url in mail.links() if link_payload(url)["p"] == "decline"]
        page = await self.browser.open(link)
        if not page.has_form:
            return page.text
        return (await self.browser.submit(page, rep=member.name, reason=reason)).text

    def _about(self, member: Member, lead_id: int) -> list[Mail]:
        return [m for m in self.smtp.to(member.user) if mentions(m.subject, lead_id)]

    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        mail = await eventually(
            lambda: next(
                (m for m in reversed(self._about(member, lead_id)) if containing in _whole(m)),
                None,
            ),
            what=f"a mail about lead #{lead_id} with {containing!r} to {member.user}",
        )
        return _whole(mail)

    async def private(self, member: Member) -> str:
        return "\n".join(_whole(m) for m in self.smtp.to(member.user))

    def _link(self, member: Member, lead_id: int, action: StatusAction) -> str | None:
        """The action's link in the newest mail about the lead that has one."""
        name = label(member.language, "action", action.value)
        for mail in reversed(self._about(member, lead_id)):
            try:
                return mail.link(name)
            except AssertionError:
                continue
        return None

    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        action, value = split_step(step)
        link = await eventually(
            lambda: self._link(member, lead_id, action),
            what=f"a {action.value} link for lead #{lead_id} to {member.user}",
        )
        page = await self.browser.open(link)
        assert page.has_form, page.text
        fields = FIELDS[action](value) if action in FIELDS else {}
        return (await self.browser.submit(page, **fields)).text

    async def staff(self, text: str) -> str:
        return await self.terminal.type(STAFF, text)

    async def staff_feed(self) -> str:
        return ""  # no staff feed by e-mail

    async def settle(self) -> None:
        await self.terminal.settle()

    async def close(self) -> None:
        await self.browser.close()
        await self.staff_runtime.close()


class EmailSetup(Setup):
    name = "email"
    fixture = "smtp_server"

    def settings(
        self, make_settings: Callable[..., Settings], emulator: Any, **sections: Any
    ) -> Settings:
        server = {"public_url": PUBLIC_URL, **sections.pop("server", {})}
        return make_settings(
            email=email_section(emulator), console={"enabled": False}, server=server, **sections
        )

    def ids(self, index: int, partner_id: str) -> Ids:
        pid = partner_id.lower()
        return Ids(user=f"rep@{pid}.example", channel=f"leads@{pid}.example")

    def partner_fields(self, ids: Ids) -> dict[str, Any]:
        return {"email": ids.channel}

    async def start(
        self, bot: RunningBot, emulator: SmtpServer, members: Sequence[Member]
    ) -> ChatDriver:
        runtime = bot.runtime
        staff_runtime = Runtime.create(runtime.settings.with_console(), clock=runtime.clock)
        return EmailChat(bot, emulator, staff_runtime, Terminal(staff_runtime))
