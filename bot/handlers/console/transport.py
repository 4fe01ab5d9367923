"""The console's ``Transport``: notices become text in per-address inboxes.

A rep sees their partner's channel and their own direct messages, staff see the staff
feed — the same separation as on Slack and Telegram. Messages for others wait in their
inbox and are shown when someone switches to that identity with ``as``. Each message is
headed by where it went (``[Kanal P-DE-001]``, ``[Feed der Mitarbeitenden]``), in the
language of the message itself: the staff feed's is ``[staff] language``, a rep's the rep's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.delivery.notices import Delivery, MessageRef
from bot.delivery.transports import RateLimit
from bot.handlers.console.platform import STAFF, partner_address, rep_address
from bot.handlers.console.render import render_view
from bot.i18n import t
from bot.models import Platform


class Inbox:
    """Per-address inboxes. With ``hold`` (the console session), what arrives for a visible
    address is held until :meth:`flush` and then printed in the order the notices were
    queued (outbox id), so the screen does not depend on which address the sender happened
    to serve first; without, it is printed at once."""

    def __init__(self, out: Callable[[str], None], *, hold: bool = False) -> None:
        self._out = out
        self._hold = hold
        self._unseen: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._arrived: list[tuple[int, str]] = []
        self.visible: frozenset[str] = frozenset({STAFF})

    def show_to(self, addresses: frozenset[str]) -> list[str]:
        """Switch the visible addresses; return what was waiting for them, oldest first."""
        self.flush()
        self.visible = addresses
        waiting: list[tuple[int, str]] = []
        for address in addresses:
            waiting.extend(self._unseen.pop(address, []))
        return [text for _order, text in sorted(waiting, key=lambda item: item[0])]

    def post(self, address: str, text: str, language: str, order: int = 0) -> None:
        """Show ``text`` (in ``language``, which its heading is said in) at ``address``."""
        shown = _label(address, text, language)
        if address in self.visible:
            self._arrived.append((order, shown))
            if not self._hold:
                self.flush()
        else:
            self._unseen[address].append((order, shown))

    def flush(self) -> None:
        """Print what arrived for the visible addresses, oldest notice first."""
        arrived, self._arrived = sorted(self._arrived, key=lambda item: item[0]), []
        for _order, text in arrived:
            self._out(text)


def _heading(address: str, language: str) -> str:
    """Where a message went, as its heading says it: ``[channel P1]``, ``[Kanal P1]``."""
    if address == STAFF:
        where = t(language, "console.heading.staff")
    elif address.startswith("partner:"):
        where = t(language, "console.heading.channel", channel=address.split(":", 1)[1])
    else:
        where = t(language, "console.heading.direct")
    return f"[{where}]"


def _label(address: str, text: str, language: str) -> str:
    indented = "\n".join("  " + line if line else line for line in text.splitlines())
    return f"{_heading(address, language)}\n{indented}"


def visible_addresses(*, partner_id: str | None, rep_id: int | None, staff: bool) -> frozenset[str]:
    addresses = set()
    if partner_id:
        addresses.add(partner_address(partner_id))
    if rep_id is not None:
        addresses.add(rep_address(rep_id))
    if staff:
        addresses.add(STAFF)
    return frozenset(addresses)


class ConsoleTransport:
    platform = Platform.CONSOLE

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        return ()

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        view = delivery.view
        self.inbox.post(delivery.address, render_view(view), view.language, delivery.outbox_id)
        if delivery.edit is not None:
            return delivery.edit
        return MessageRef(delivery.address, f"console-{delivery.outbox_id}")
