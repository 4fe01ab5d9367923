"""Inline keyboards and their callback data. Pure: no I/O, no PTB objects until ``markup``.

Telegram gives a button at most 64 bytes of ``callback_data``, so the data is a short
``<kind>:<id>[:<value>]`` — ``claim:<offer id>`` is the contract (DESIGN §6); the others
are ours. Builders refuse to make data that Telegram would refuse, and
:func:`parse_callback` accepts only data the builders can make: a press with anything else
(an old keyboard, a forged update) is answered as "not understood" and changes nothing.

Layouts are for a phone: two buttons per row, short labels, a Back button in sub-menus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.ids import database_id
from bot.handlers.text import label
from bot.i18n import t
from bot.leads.declines import DECLINE_REASONS
from bot.leads.status_reports import HAND_BACK_REASONS, LOST_REASONS, StatusAction

MAX_CALLBACK_BYTES = 64
FOLLOW_UP_DAYS: tuple[int, ...] = (1, 3, 7)
PICK_DATE = "date"

CLAIM = "claim"  # claim:<offer>
DECLINE = "decline"  # decline:<offer> (DESIGN §6): "Not for us" -> the reasons
DECLINE_REASON = "dr"  # dr:<offer>:<reason>
TEASER_BACK = "tb"  # tb:<offer> (reasons -> Claim / Not for us)
STATUS = "st"  # st:<lead>:<action>
LOST = "lost"  # lost:<lead>:<reason>
HAND_BACK = "hb"  # hb:<lead>:<reason>
FOLLOW_UP = "fu"  # fu:<lead>:<days>|date
BACK = "back"  # back:<lead>  (sub-menu -> status buttons)
SKIP = "skip"  # skip:<lead>  (no note for "lost")
OPEN = "open"  # open:<lead> (show the card, from /leads)
ERASE = "erase"  # erase:<lead> (staff confirms an erasure)
CANCEL = "cancel"  # cancel:<lead> (staff does not erase after all)
KIT = "kit"  # kit:<outbox id>:<page> (a sales kit: 0 = the short list, 1… = its pages)
MAX_KIT_PAGES = 99

_VALUES: dict[str, frozenset[str] | None] = {
    CLAIM: None,
    DECLINE: None,
    DECLINE_REASON: frozenset(DECLINE_REASONS),
    TEASER_BACK: None,
    STATUS: frozenset(a.value for a in StatusAction),
    LOST: frozenset(LOST_REASONS),
    HAND_BACK: frozenset(HAND_BACK_REASONS),
    FOLLOW_UP: frozenset({*(str(d) for d in FOLLOW_UP_DAYS), PICK_DATE}),
    BACK: None,
    SKIP: None,
    OPEN: None,
    ERASE: None,
    CANCEL: None,
    KIT: frozenset(str(page) for page in range(MAX_KIT_PAGES + 1)),
}
ICONS = {
    "contacted": "📞",
    "meeting": "🤝",
    "proposal": "📄",
    "won": "🏆",
    "lost": "✖️",
    "follow_up": "⏰",
    "hand_back": "↩️",
}
_DATA = re.compile(r"([a-z]{2,8}):(\d{1,18})(?::([a-z0-9_]{1,32}))?")


@dataclass(frozen=True)
class Callback:
    """A parsed press: what kind, for which offer/lead, with which value (if any)."""

    kind: str
    id: int
    value: str | None = None


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None  # callback data, or
    url: str | None = None  # a link (t.me deep link)


Keyboard = tuple[tuple[Button, ...], ...]


def callback_data(kind: str, id_: int, value: str | None = None) -> str:
    """``kind:id[:value]``; raises ValueError for data Telegram or the parser would refuse."""
    if kind not in _VALUES:
        raise ValueError(f"unknown callback kind {kind!r}")
    allowed = _VALUES[kind]
    if (allowed is None) != (value is None) or (allowed is not None and value not in allowed):
        raise ValueError(f"callback {kind!r}: value {value!r} not allowed")
    data = f"{kind}:{id_}" + (f":{value}" if value is not None else "")
    if len(data.encode()) > MAX_CALLBACK_BYTES or _DATA.fullmatch(data) is None:
        raise ValueError(f"callback data {data!r} is not valid (max {MAX_CALLBACK_BYTES} bytes)")
    return data


def parse_callback(data: str | None) -> Callback | None:
    """The press behind ``data``, or None when it is not data this bot makes."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    match = _DATA.fullmatch(data)
    if match is None:
        return None
    kind, number, value = match.group(1), database_id(int(match.group(2))), match.group(3)
    if kind not in _VALUES or number is None:
        return None
    allowed = _VALUES[kind]
    if (allowed is None) != (value is None) or (allowed is not None and value not in allowed):
        return None
    return Callback(kind, number, value)


def _rows(buttons: Sequence[Button], per_row: int = 2) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def claim_keyboard(offer_id: int, language: str) -> Keyboard:
    return (
        (
            Button(f"✋ {t(language, 'teaser.claim')}", callback_data(CLAIM, offer_id)),
            Button(t(language, "decline.button"), callback_data(DECLINE, offer_id)),
        ),
    )


def decline_keyboard(offer_id: int, language: str) -> Keyboard:
    """Why "not for us": one button per reason, and back to Claim."""
    buttons = [
        Button(
            label(language, "decline_reason", reason),
            callback_data(DECLINE_REASON, offer_id, reason),
        )
        for reason in DECLINE_REASONS
    ]
    back = Button(f"‹ {t(language, 'telegram.button.back')}", callback_data(TEASER_BACK, offer_id))
    return (*_rows(buttons), (back,))


def status_keyboard(lead_id: int, actions: Iterable[str], language: str) -> Keyboard:
    """The lead card's buttons: only the actions the lead allows now."""
    buttons = [
        Button(
            f"{ICONS.get(action, '•')} {label(language, 'action', action)}",
            callback_data(STATUS, lead_id, action),
        )
        for action in actions
    ]
    return _rows(buttons)


def _back(lead_id: int, language: str) -> Button:
    return Button(f"‹ {t(language, 'telegram.button.back')}", callback_data(BACK, lead_id))


def lost_keyboard(lead_id: int, language: str) -> Keyboard:
    buttons = [
        Button(label(language, "lost_reason", reason), callback_data(LOST, lead_id, reason))
        for reason in LOST_REASONS
    ]
    return (*_rows(buttons), (_back(lead_id, language),))


def hand_back_keyboard(lead_id: int, language: str) -> Keyboard:
    buttons = [
        Button(
            label(language, "hand_back_reason", reason), callback_data(HAND_BACK, lead_id, reason)
        )
        for reason in HAND_BACK_REASONS
    ]
    return (*_rows(buttons), (_back(lead_id, language),))


def follow_up_keyboard(lead_id: int, language: str) -> Keyboard:
    buttons = [
        Button(
            t(language, f"telegram.button.plus_{days}d"),
            callback_data(FOLLOW_UP, lead_id, str(days)),
        )
        for days in FOLLOW_UP_DAYS
    ]
    buttons.append(
        Button(
            t(language, "telegram.button.pick_date"), callback_data(FOLLOW_UP, lead_id, PICK_DATE)
        )
    )
    return (*_rows(buttons), (_back(lead_id, language),))


def skip_keyboard(lead_id: int, language: str) -> Keyboard:
    return ((Button(t(language, "telegram.button.skip"), callback_data(SKIP, lead_id)),),)


def erase_keyboard(lead_id: int, language: str) -> Keyboard:
    return (
        (
            Button(t(language, "telegram.button.erase"), callback_data(ERASE, lead_id)),
            Button(t(language, "telegram.button.cancel"), callback_data(CANCEL, lead_id)),
        ),
    )


def kit_keyboard(ref: int, page: int, pages: int, language: str) -> Keyboard:
    """Paging through a sales kit (outbox row ``ref``) on a phone, one item per page.

    The short list (page 0) has *Details ›*; a page has ‹ (back, from the second page on),
    ≡ (to the list) and › (on, except on the last page).
    """
    pages = min(pages, MAX_KIT_PAGES)
    if pages <= 0:
        return ()
    if page <= 0:
        return ((Button(t(language, "kit.details_tg"), callback_data(KIT, ref, "1")),),)
    row = [Button("‹", callback_data(KIT, ref, str(page - 1)))] if page > 1 else []
    row.append(Button(f"≡ {t(language, 'kit.list')}", callback_data(KIT, ref, "0")))
    if page < pages:
        row.append(Button("›", callback_data(KIT, ref, str(page + 1))))
    return (tuple(row),)


def leads_keyboard(leads: Iterable[tuple[int, str]], language: str) -> Keyboard:
    """One button per lead (``(id, label)``), one per row: a tap shows its card."""
    return tuple(
        (Button(_cut(f"#{lead_id} · {text}", 60), callback_data(OPEN, lead_id)),)
        for lead_id, text in leads
    )


def link_keyboard(text: str, url: str) -> Keyboard:
    return ((Button(text, url=url),),)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The PTB object for a keyboard; None for no keyboard (an edit then removes it)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in keyboard
        ]
    )
