"""The typed commands a person can give leadbot, from any chat.

One model for every platform: the console parses a line into these, Slack's ``/leads`` and
Telegram's ``/…`` commands parse their text with the same grammar (:mod:`bot.chat.grammar`),
and buttons (Claim, the status buttons, staff buttons, e-mail links) build them directly.
Who may run which command is decided in one place (:mod:`bot.chat.permissions`), and
:mod:`bot.chat.executor` runs them on the core. Handlers keep only presentation: a Slack
modal, a Telegram forced reply or a console prompt to collect what a command needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.leads.status_reports import Report


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class WhoAmI:
    pass


@dataclass(frozen=True)
class Teasers:
    """The offers open for the rep's partner."""


@dataclass(frozen=True)
class Claim:
    offer_id: int


@dataclass(frozen=True)
class Decline:
    """“Not for us”: the rep's partner declines the offer, with a reason."""

    offer_id: int
    reason: str
    note: str | None = None


@dataclass(frozen=True)
class ListLeads:
    """The rep's open leads; for staff the pipeline."""


@dataclass(frozen=True)
class ShowLead:
    lead_id: int


@dataclass(frozen=True)
class Progress:
    """A status report: contacted, meeting, proposal, won (revenue), lost (reason),
    follow-up (date) or hand back (reason) — :class:`~bot.leads.progress.Report` says which."""

    lead_id: int
    report: Report


@dataclass(frozen=True)
class TakeOver:
    """A rep makes a lead of their partner theirs (its owner is away or overloaded)."""

    lead_id: int


@dataclass(frozen=True)
class Release:
    lead_id: int
    consent: bool = False


@dataclass(frozen=True)
class Reoffer:
    lead_id: int


@dataclass(frozen=True)
class Recall:
    lead_id: int


@dataclass(frozen=True)
class Erase:
    lead_id: int


@dataclass(frozen=True)
class Assign:
    """Staff offer a lead to one partner alone (an exclusive offer)."""

    lead_id: int
    partner_id: str


@dataclass(frozen=True)
class Pause:
    """Staff pause a partner: no teasers, through ``until`` (or until resumed)."""

    partner_id: str
    until: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Resume:
    partner_id: str


@dataclass(frozen=True)
class Away:
    """A partner's manager marks their own partner away (paused), through ``until``."""

    until: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Back:
    """A partner's manager ends their own partner's pause."""


@dataclass(frozen=True)
class Explain:
    lead_id: int
    partner_id: str | None = None
    limit: int = 0
    """Partners listed per group (0: every one). Chats list every one: their answer runs
    over several messages and counts what does not fit (a hint for a "--limit" they cannot
    type there helped nobody); the CLI has its own ``--limit``."""


@dataclass(frozen=True)
class Pipeline:
    """The staff report: leads by status, partners, campaigns."""


@dataclass(frozen=True)
class CockpitLink:
    """A one-time sign-in link to the staff web cockpit."""


Command = (
    Help
    | WhoAmI
    | Teasers
    | Claim
    | Decline
    | ListLeads
    | ShowLead
    | Progress
    | TakeOver
    | Release
    | Reoffer
    | Recall
    | Erase
    | Assign
    | Pause
    | Resume
    | Away
    | Back
    | Explain
    | Pipeline
    | CockpitLink
)
