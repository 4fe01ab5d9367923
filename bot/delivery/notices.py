"""Platform-neutral notices: what the core wants said, to whom — never how it looks.

Services enqueue a notice for an *audience* (a partner's channel, a rep, the staff). The
outbox turns the audience into one row per platform address. A row's payload holds ids and
non-identifying facts; the sender resolves it to one of the ``*View`` objects below at the
moment of sending, reading personal data only then (so erasure needs no queue scrubbing and
a late message always shows the current state). Renderers turn views into platform messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.i18n import t
from bot.models.enums import LeadStatus, Platform


class NoticeKind(StrEnum):
    TEASER = "teaser"  # anonymized lead + Claim button, in a partner channel
    TEASER_CLOSED = "teaser_closed"  # edit of a teaser: taken / expired / withdrawn
    LEAD_CARD = "lead_card"  # full lead + status buttons, DM to the owner; edited in place
    REMINDER = "reminder"  # SLA or follow-up reminder to the owner
    REP_INFO = "rep_info"  # something the rep should know (recalled, erased, ...)
    CONTENT = "content"  # sales content for the owner (pack after claim, or an update)
    NEWS = "news"  # news about the prospect, for the owner
    STAFF = "staff"  # the manufacturer's monitoring feed
    DIGEST = "digest"  # the weekly figures with a chart image, to the staff channel


# --- audiences -------------------------------------------------------------------------


@dataclass(frozen=True)
class ToPartner:
    """A partner's shared channel/group (teasers)."""

    partner_id: str


@dataclass(frozen=True)
class ToRep:
    """A rep by direct message; ``platform`` narrows it to the one they used, if given.

    Where that platform cannot write to them now, the fallback (e-mail) is added; with
    ``or_elsewhere`` their other platforms are too when no fallback reaches them — for what
    must not wait for them to open a chat (a reminder before the lead is taken away)."""

    rep_id: int
    platform: Platform | None = None
    or_elsewhere: bool = False


@dataclass(frozen=True)
class ToStaff:
    """The manufacturer's monitoring channel on every enabled platform."""


Audience = ToPartner | ToRep | ToStaff


# --- resolved views (what renderers get) -----------------------------------------------


@dataclass(frozen=True)
class TeaserFacts:
    """The coarsened, non-identifying facts a teaser may show (DESIGN §4)."""

    industry: str
    employee_band: str
    revenue_band: str
    country: str
    region: str
    products: tuple[str, ...]
    value_band: str
    timeline: str
    temperature: str
    score: int | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["products"] = list(self.products)
        data["created_at"] = self.created_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TeaserFacts:
        values = dict(data)
        values["products"] = tuple(values["products"])
        values["created_at"] = datetime.fromisoformat(values["created_at"])
        return cls(**values)


@dataclass(frozen=True)
class TeaserView:
    offer_id: int
    lead_id: int
    facts: TeaserFacts
    wave: int
    expires_at: datetime | None
    language: str
    closed: str | None = (
        None  # None while claimable; "taken" / "expired" / "withdrawn" / "declined"
    )
    closed_by: str | None = None  # who declined it (the partner's own rep), for "declined by …"


@dataclass(frozen=True)
class LeadDetails:
    """The full lead, for its owner (and staff). Never put into a teaser."""

    id: int
    status: LeadStatus
    company_name: str
    industry: str | None
    employees: int | None
    annual_revenue_eur: int | None
    domain: str | None
    ticker: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    contact_role: str | None
    products: tuple[str, ...]
    estimated_value_eur: int | None
    timeline: str | None
    message: str | None
    campaign: str | None
    score: int | None
    created_at: datetime
    claimed_at: datetime | None
    follow_up_on: date | None
    revenue_eur: Decimal | None
    lost_reason: str | None
    partner_name: str | None = None
    rep_name: str | None = None


@dataclass(frozen=True)
class LeadCardView:
    """A rep's card for one lead. ``lead`` is None when the rep may no longer see the details
    (handed back, recalled, erased): the card then only says what happened."""

    lead_id: int
    status: LeadStatus
    event: str  # what caused this version of the card: claimed, contacted, recalled, ...
    lead: LeadDetails | None
    actions: tuple[str, ...]  # status actions the owner may take now
    language: str
    colleague: str | None = (
        None  # taken_over: who has it now; else who changed it, if not the owner
    )
    edit_only: bool = False
    """A change of a card the rep has, never news: where that card is gone (deleted in the
    chat), nothing is sent in its place — a colleague's card, a card taken off its rep."""

    def changed_by_words(self) -> str | None:
        """ "Geändert von Sophie Brandl aus Ihrem Team." on a full card a colleague changed
        (a status report on the owner's lead), unescaped; None when the owner did."""
        if self.lead is None or not self.colleague or self.event in ("claimed", "taken_over"):
            return None
        return t(self.language, "card.changed_by", colleague=self.colleague)

    @property
    def taken_off(self) -> bool:
        """The card says why its details went (``card.<event>``), not just "no details"."""
        return self.lead is None and self.event in TAKEN_OFF

    def taken_off_words(self) -> str:
        """The one line of a card :attr:`taken_off` its rep, unescaped: why the details went
        (and, when a colleague took the lead over, who has it now)."""
        return t(self.language, f"card.{self.event}", id=self.lead_id, colleague=self.colleague)


TAKEN_OFF = frozenset(
    {
        "returned",
        "recalled",
        "recalled_sla",
        "recalled_staff",
        "erased",
        "owner_left",
        "colleague_left",
        "taken_over",
    }
)
"""Card events that take a lead off its rep's card, each with words of its own."""


@dataclass(frozen=True)
class MessageView:
    """A short message to a rep or staff: reminders, info, staff feed, content, news."""

    kind: NoticeKind
    event: str
    language: str
    lead_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DigestView:
    """The week's figures for staff; platforms post :func:`bot.cockpit.charts.digest_png` with
    the words of :func:`bot.reports.digest.digest_lines` (an image plus a caption)."""

    language: str
    start: date
    end: date
    leads: int
    won: int
    revenue_eur: Decimal
    open: int
    pipeline_eur: Decimal
    top_partners: tuple[tuple[str, int], ...]  # (name, claims), most claims first
    weeks: tuple[tuple[date, int, Decimal], ...]  # (monday, leads received, revenue won)
    cockpit_url: str
    kind: NoticeKind = NoticeKind.DIGEST


NoticeView = TeaserView | LeadCardView | MessageView | DigestView


@dataclass(frozen=True)
class MessageRef:
    """Where a platform put a message, so it can be edited later."""

    chat_id: str
    message_id: str


@dataclass(frozen=True)
class Delivery:
    """One resolved notice for one platform address.

    ``in_doubt``: an earlier attempt may have reached the platform (its sender died or lost
    the answer). ``through_id``: the notice stands for outbox rows ``outbox_id`` to
    ``through_id`` (a staff-feed summary); transports that tag messages record both.
    """

    outbox_id: int
    platform: Platform
    address: str
    view: NoticeView
    edit: MessageRef | None = None
    in_doubt: bool = False
    through_id: int | None = None
