"""Console rendering: views and replies to plain text, through the console templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.chat.interactions import LeadSummary, Reply
from bot.delivery.notices import LeadCardView, MessageView, NoticeView, TeaserView
from bot.handlers import text
from bot.handlers.console.platform import escape_console
from bot.handlers.text import label, money, reply_text
from bot.i18n import t
from bot.reports.pipeline import PipelineReport

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(template: str, **context: Any) -> str:
    """A console template (``templates/``) with control characters dropped from values."""
    return text.render(text.environment(TEMPLATES, escape_console), template, **context)


_ACTION_COMMANDS = {
    "contacted": "contacted {id}",
    "meeting": "meeting {id}",
    "proposal": "proposal {id}",
    "won": "won {id} <€>",
    "lost": "lost {id} <reason>",
    "follow_up": "followup {id} <date>",
    "hand_back": "handback {id} <reason>",
}


def command_for(action: str, lead_id: int) -> str:
    return _ACTION_COMMANDS.get(action, action).format(id=lead_id)


def render_view(view: NoticeView) -> str:
    if isinstance(view, TeaserView):
        return render("teaser.j2", view=view)
    if isinstance(view, LeadCardView):
        return render("lead_card.j2", view=view, command_for=command_for)
    assert isinstance(view, MessageView)
    return render("message.j2", view=view)


def render_reply(reply: Reply, language: str) -> str:
    mark = "✔" if reply.ok else "✖"
    return f"{mark} {escape_console(reply_text(language, reply.key, reply.params))}"


def render_leads(leads: list[LeadSummary], language: str, *, staff: bool) -> str:
    if not leads:
        return t(language, "reply.no_leads")
    lines = [t(language, "reply.my_leads") + ":" if not staff else "Pipeline:"]
    for lead in leads:
        who = f" · {lead.partner_id}" if staff and lead.partner_id else ""
        follow = f" · ⏰ {lead.follow_up_on}" if lead.follow_up_on else ""
        company = escape_console(lead.company or "–")
        lines.append(
            f"  #{lead.id:<4} {label(language, 'status', lead.status.value):<22} {company}"
            f" · {lead.region or '–'} · {', '.join(lead.products)}{who}{follow}"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def render_report(report: PipelineReport, language: str) -> str:
    lines = [f"Pipeline: {report.total} leads, {report.open_leads} open"]
    lines.append(
        "  "
        + " · ".join(
            f"{label(language, 'status', status)} {count}"
            for status, count in sorted(report.by_status.items())
        )
    )
    if report.partners:
        lines.append("Partner:")
        for row in report.partners:
            claim = (
                "–" if row.median_claim_minutes is None else f"{row.median_claim_minutes:.0f} min"
            )
            lines.append(
                f"  {escape_console(row.name):<32} open {row.open:>3} · won {row.won:>3} · lost {row.lost:>3}"
                f" · {money(row.revenue_eur, language):>14} · conv. {_pct(row.conversion):>4} · claim {claim}"
            )
    if report.campaigns:
        lines.append("Campaigns:")
        for c in report.campaigns:
            roi = "" if c.roi is None else f" · ROI {c.roi:+.0%}"
            lines.append(
                f"  {escape_console(c.campaign):<32} leads {c.leads:>3} · claimed {c.claimed:>3} · won {c.won:>3}"
                f" · {money(c.revenue_eur, language):>14}{roi}"
            )
    return "\n".join(lines)
