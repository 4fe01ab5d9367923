"""What a command answers with: data, never platform markup (Errbot's way).

Each platform renders these its own way — a console line, Slack blocks, Telegram HTML, an
e-mail page — from the same values, in the asker's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.delivery.notices import LeadCardView, TeaserView
from bot.i18n import t
from bot.models import LeadStatus
from bot.reports.model import Report as PipelineReport


@dataclass(frozen=True)
class Reply:
    """A short answer to the person who asked: an i18n key with its parameters."""

    key: str
    ok: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    lead_id: int | None = None


@dataclass(frozen=True)
class LeadSummary:
    id: int
    status: LeadStatus
    company: str | None  # None when the asker may not see it
    region: str | None
    products: tuple[str, ...]
    follow_up_on: date | None = None
    partner_id: str | None = None
    owner: str | None = None  # the colleague who owns it (a rep's list; None: the reader)


def rep_list_heading(leads: list[LeadSummary]) -> str:
    """The i18n key heading a rep's ``leads``: "your open leads" while they are all theirs,
    "your team's open leads" once a colleague's is listed (it is the partner's list)."""
    return "reply.team_leads" if any(lead.owner for lead in leads) else "reply.my_leads"


@dataclass(frozen=True)
class LeadList:
    """``leads``: a rep's own open leads; for staff also every open lead and the pipeline."""

    mine: list[LeadSummary]
    everyone: list[LeadSummary] | None = None  # staff only
    pipeline: PipelineReport | None = None  # staff only


@dataclass(frozen=True)
class TeaserList:
    """``teasers``: what the rep's partner channel shows as claimable right now."""

    teasers: list[TeaserView]


@dataclass(frozen=True)
class Explanation:
    """``explain``: plain-text lines (monospace columns); platforms escape and wrap them."""

    lead_id: int
    lines: list[str]


@dataclass(frozen=True)
class HelpView:
    """``help``: the verbs this person may use, in the grammar's order."""

    verbs: tuple[str, ...]
    staff: bool
    rep: bool


@dataclass(frozen=True)
class Profile:
    """``whoami``: who the bot takes the asker for."""

    name: str | None
    user_id: str
    partner_id: str | None
    is_staff: bool
    manager: bool = False

    def words(self, language: str) -> str:
        """The answer in words, the same on every platform (each escapes it for itself)."""
        if self.partner_id is None:
            return t(language, "reply.whoami_staff")
        key = "reply.whoami_manager" if self.manager else "reply.whoami_rep"
        return t(language, key, name=self.name or "", partner=self.partner_id)


Result = (
    Reply | LeadCardView | LeadList | TeaserList | Explanation | HelpView | Profile | PipelineReport
)
