"""Slack blocks for overviews: a rep's leads, the staff pipeline, explanations, App Home.

Pure builders like :mod:`bot.handlers.slack.blocks`; the App Home view is assembled from
the same pieces the ``/leads`` command shows, so both always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.chat.results import LeadSummary, rep_list_heading
from bot.handlers.slack.kit import (
    MAX_ANSWER_BLOCKS,
    MAX_BLOCKS,
    MAX_HOME_BLOCKS,
    MAX_SECTION,
    Block,
    actions,
    button,
    chunks,
    context,
    divider,
    esc,
    header,
    section,
)
from bot.handlers.slack.lead_cards import status_buttons
from bot.handlers.text import day, label, moment, money
from bot.i18n import t
from bot.reports.format import duration, pct, report_summary, report_warnings
from bot.reports.model import Report

HOME_REFRESH = "home_refresh"
HOME_LEADS = 25  # leads shown in App Home (3 blocks each, within Slack's 100 blocks)


def counted(
    lines: list[str],
    room: int,
    more: Callable[[int], str],
    *,
    head: str | None = None,
    code: bool = False,
) -> list[Block]:
    """Escaped lines packed into as few sections as hold them, in at most ``room`` blocks
    (under ``head``, a bold title; ``code``: monospace). What no section has room for is
    counted in a last line, ``more(count)`` — a list is never cut off unsaid."""
    fence = "```" if code else ""
    text = "\n".join(([head] if head is not None else []) + lines)
    pieces = chunks(text, MAX_SECTION - 2 * len(fence))
    if len(pieces) > room:
        pieces = pieces[: max(0, room - 1)]
    found = [section(f"{fence}{piece}{fence}") for piece in pieces]
    listed = sum(piece.count("\n") + 1 for piece in pieces) - (head is not None)
    if listed < len(lines):
        found.append(context(esc(more(len(lines) - max(0, listed)))))
    return found


def lead_line(lead: LeadSummary, language: str, *, staff: bool) -> str:
    """``*#12* · Brauerei Huber · contacted · DE-BY · X200 · ⏰ 15.03.2026`` (escaped)."""
    parts = [
        f"*#{lead.id}*",
        esc(lead.company or "–"),
        f"_{esc(label(language, 'status', lead.status.value))}_",
        esc(lead.region or "–"),
        esc(", ".join(lead.products) or "–"),
    ]
    if staff and lead.partner_id:
        parts.append(esc(lead.partner_id))
    if lead.owner:
        parts.append(esc(t(language, "reply.lead_owner", name=lead.owner)))
    if lead.follow_up_on:
        follow = t(language, "slack.next_follow_up", date=day(lead.follow_up_on, language))
        parts.append(f":alarm_clock: {esc(follow)}")
    return " · ".join(parts)


def leads_blocks(
    leads: list[LeadSummary],
    language: str,
    *,
    staff: bool = False,
    actions_for: dict[int, tuple[str, ...]] | None = None,
    limit: int = 40,
    max_blocks: int = MAX_BLOCKS,
) -> list[Block]:
    """A list of leads. Without ``actions_for`` (``/leads``) every lead gets a line, as many
    as ``max_blocks`` hold (hundreds), the rest counted; with it (App Home) each of at most
    ``limit`` leads gets its status buttons and the rest are left to ``/leads``."""
    if not leads:
        return [
            section(
                esc(
                    t(language, "slack.home_empty" if actions_for is not None else "reply.no_leads")
                )
            )
        ]
    heading = t(language, "slack.home_staff" if staff else rep_list_heading(leads))
    blocks: list[Block] = [section(f"*{esc(heading)}*")]
    if actions_for is None:  # /leads: every lead, a line each, as many as the sections hold
        lines = [lead_line(lead, language, staff=staff) for lead in leads]
        more = lambda count: t(language, "slack.leads_more", count=count)  # noqa: E731
        return blocks + counted(lines, max_blocks - 1, more)
    shown = leads[: max(1, min(limit, (max_blocks - 2) // 3))]
    for lead in shown:
        blocks.append(section(lead_line(lead, language, staff=staff)))
        buttons = status_buttons(lead.id, actions_for.get(lead.id, ()), language)
        if buttons is not None:
            blocks.append(buttons)
        blocks.append(divider())
    if len(leads) > len(shown):
        blocks.append(context(esc(t(language, "slack.home_more", count=len(leads) - len(shown)))))
    return blocks


def pipeline_blocks(
    report: Report, language: str, *, max_blocks: int = MAX_ANSWER_BLOCKS, home: bool = False
) -> list[Block]:
    """The staff pipeline: totals that add up, partners, campaigns (with ROI when costed).

    Hundreds of partners are a line each, in as many sections as ``max_blocks`` allows (an
    answer runs over several messages, :func:`~bot.handlers.slack.kit.split_messages`);
    the rest are counted, with where to see them (App Home: ``/leads``; ``/leads``: the
    cockpit)."""
    head = report_summary(report, language)
    if not report.total and not report.partners:
        return [section(f"*{esc(head[0])}*"), context(esc(t(language, "report.empty")))]
    blocks: list[Block] = [
        section(
            f":bar_chart: *{esc(head[0])}*\n" + "\n".join(esc(line.strip()) for line in head[1:])
        )
    ]
    partners = []
    for row in report.partners:
        figures = t(
            language,
            "report.partner_line",
            claims=row.claims,
            offers=row.offers,
            claim=duration(row.claim_median_minutes, language),
            won=row.won,
            lost=row.lost,
            revenue=money(row.revenue_eur, language),
            recalls=row.recalls,
            handbacks=row.handbacks,
        )
        partners.append(f"• *{esc(row.name)}* — {esc(figures)}")
    campaigns = []
    for c in report.campaigns:
        figures = t(
            language,
            "report.campaign_line",
            leads=c.leads,
            claimed=c.claimed,
            won=c.won,
            revenue=money(c.revenue_eur, language),
        )
        if c.roi is not None:
            figures += " · " + t(language, "report.roi", roi=pct(c.roi, signed=True))
        name = c.campaign or t(language, "report.no_campaign")
        campaigns.append(f"• *{esc(name)}* — {esc(figures)}")
    warnings = [context(f":warning: {esc(w)}") for w in report_warnings(report, language)]
    key = "slack.home_more" if home else "slack.pipeline_more"
    more = lambda count: t(language, key, count=count)  # noqa: E731
    room = max_blocks - len(blocks) - len(warnings)
    campaign_head = f"*{esc(t(language, 'report.campaigns'))}*"
    needed = len(chunks("\n".join([campaign_head, *campaigns]))) if campaigns else 0
    campaign_room = min(needed, room // 2)
    if partners:
        head_line = f"*{esc(t(language, 'report.partners'))}*"
        blocks += counted(partners, room - campaign_room, more, head=head_line)
    if campaigns:
        blocks += counted(
            campaigns, max_blocks - len(blocks) - len(warnings), more, head=campaign_head
        )
    return blocks + warnings


def explanation_blocks(lines: list[str], lead_id: int, language: str) -> list[Block]:
    """The terminal explanation text as preformatted sections (escaped, split to fit),
    over as many messages as an answer takes; beyond that, the rest is counted."""
    more = lambda count: t(language, "explain.more_lines", count=count, lead_id=lead_id)  # noqa: E731
    return counted([esc(line) for line in lines], MAX_ANSWER_BLOCKS, more, code=True)


def home_view(
    language: str,
    *,
    leads: list[LeadSummary] | None,
    actions_for: dict[int, tuple[str, ...]],
    pipeline: Report | None,
    notice: str | None = None,
    now: datetime | None = None,
) -> Block:
    """The App Home tab: the rep's open leads with their buttons; for staff the pipeline."""
    blocks: list[Block] = []
    refresh = button(t(language, "slack.refresh"), HOME_REFRESH, "home")
    if notice:
        blocks.append(section(notice))
    if leads is not None:
        blocks.append(header(t(language, "slack.home_title")))
        blocks.extend(
            leads_blocks(
                leads,
                language,
                actions_for=actions_for,
                limit=HOME_LEADS,
                max_blocks=MAX_HOME_BLOCKS - 20,
            )[1:]
            if leads
            else leads_blocks(leads, language, actions_for=actions_for)
        )
    footer = [actions([refresh], block_id="home")]
    if now is not None:
        footer.append(context(esc(t(language, "slack.home_updated", time=moment(now, language)))))
    if pipeline is not None:
        blocks.append(header(t(language, "slack.home_staff")))
        room = MAX_HOME_BLOCKS - len(blocks) - len(footer)
        blocks.extend(pipeline_blocks(pipeline, language, max_blocks=room, home=True))
    return {"type": "home", "blocks": blocks[: MAX_HOME_BLOCKS - len(footer)] + footer}
