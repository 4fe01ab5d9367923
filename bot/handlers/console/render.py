"""Console rendering: views and replies to plain text, through the console templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.chat.grammar import ACTION_VERBS, VERBS
from bot.chat.results import (
    Explanation,
    HelpView,
    LeadList,
    LeadSummary,
    Profile,
    Reply,
    Result,
    TeaserList,
    rep_list_heading,
)
from bot.chat.verbs import localised_usage
from bot.delivery.notices import DigestView, LeadCardView, MessageView, NoticeView, TeaserView
from bot.handlers import text
from bot.handlers.console.platform import escape_console
from bot.handlers.text import label, money, reply_text
from bot.i18n import t
from bot.leads.status_reports import StatusAction
from bot.reports.digest import digest_lines
from bot.reports.format import duration, pct, report_summary, report_warnings
from bot.reports.model import Report

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(template: str, **context: Any) -> str:
    """A console template (``templates/``) with control characters dropped from values."""
    return text.render(text.environment(TEMPLATES, escape_console), template, **context)


def command_for(action: str, lead_id: int, language: str) -> str:
    """The line a rep types for ``action`` on ``lead_id`` (lead cards show it as a hint),
    what to fill in said in ``language``: ``won 12 <Umsatz €>``."""
    verb = ACTION_VERBS[StatusAction(action)]
    words = verb.args.split(" ", 1)
    rest = words[1] if len(words) > 1 else ""
    if rest.startswith("<YYYY"):
        rest = "<date>"
    elif rest.startswith("<") and "|" in rest:  # "<price|competitor|…> [note]" -> "<reason>"
        rest = "<reason>"
    elif rest.startswith("["):
        rest = ""
    return localised_usage(f"{verb.name} {lead_id} {rest}".strip(), language)


def render_view(view: NoticeView) -> str:
    if isinstance(view, DigestView):  # no image in a terminal: the words and the link
        return "\n".join(escape_console(line) for line in digest_lines(view))
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
    lines = [t(language, rep_list_heading(leads)) + ":" if not staff else "Pipeline:"]
    for lead in leads:
        who = f" · {lead.partner_id}" if staff and lead.partner_id else ""
        if lead.owner:
            who += " · " + escape_console(t(language, "reply.lead_owner", name=lead.owner))
        follow = f" · ⏰ {text.day(lead.follow_up_on, language)}" if lead.follow_up_on else ""
        company = escape_console(lead.company or "–")
        lines.append(
            f"  #{lead.id:<4} {label(language, 'status', lead.status.value):<22} {company}"
            f" · {lead.region or '–'} · {', '.join(lead.products)}{who}{follow}"
        )
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Columns as wide as their widest cell (so no name breaks them); numbers right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for cells in (header, *rows):
        parts = [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append(indent + "  ".join(parts).rstrip())
    return lines


def _report_tables(report: Report, language: str) -> list[str]:
    def col(key: str) -> str:
        return t(language, f"report.column.{key}")

    lines = ["", t(language, "report.funnel")]
    lines += text_table(
        [col("stage"), col("count"), col("share")],
        [
            [t(language, f"report.stage.{stage}"), str(count), pct(share)]
            for stage, count, share in report.funnel.steps()
        ],
    )
    if report.campaigns:
        lines += ["", t(language, "report.campaigns")]
        lines += text_table(
            [
                col(k)
                for k in ("campaign", "leads", "claimed", "won", "lost", "revenue", "cost", "roi")
            ],
            [
                [
                    escape_console(c.campaign or t(language, "report.no_campaign")),
                    str(c.leads),
                    str(c.claimed),
                    str(c.won),
                    str(c.lost),
                    money(c.revenue_eur, language),
                    money(c.cost_eur, language),
                    pct(c.roi, signed=True),
                ]
                for c in report.campaigns
            ],
        )
    if report.partners:
        keys = ("partner", "offers", "claims", "claim_median", "contact_median", "expired")
        keys += ("sla_misses", "recalls", "handbacks", "declines", "won", "lost", "revenue")
        lines += ["", t(language, "report.partners")]
        lines += text_table(
            [col(k) for k in keys],
            [
                [
                    escape_console(p.name),
                    str(p.offers),
                    str(p.claims),
                    duration(p.claim_median_minutes, language),
                    duration(p.contact_median_minutes, language),
                    str(p.expired),
                    str(p.sla_misses),
                    str(p.recalls),
                    str(p.handbacks),
                    str(p.declines),
                    str(p.won),
                    str(p.lost),
                    money(p.revenue_eur, language),
                ]
                for p in report.partners
            ],
        )
    warnings = report_warnings(report, language)
    if warnings:
        lines += ["", t(language, "report.warnings")]
        lines += [f"  ! {escape_console(w)}" for w in warnings]
    return lines


def render_report(report: Report, language: str) -> str:
    """The staff report as text in one language, every table's columns fitted to its cells."""
    return "\n".join(report_summary(report, language) + _report_tables(report, language))


SESSION_HELP = (
    ("as staff | as <rep e-mail>", "console.as"),
    ("wait <30m | 2h | 1d>", "console.wait"),
    ("more", "console.more"),
    ("outbox", "console.outbox"),
    ("quit", "console.quit"),
)
"""What only the console understands (it has no users of its own, and its own clock)."""


def render_help(view: HelpView, language: str) -> str:
    """Every command this person may type, from the grammar, then the console's own."""
    usage = {verb.name: verb.usage_in(language) for verb in VERBS}
    rows = [(usage[name], t(language, f"verb.{name}")) for name in view.verbs]
    rows.extend(
        (localised_usage(syntax, language), t(language, key)) for syntax, key in SESSION_HELP
    )
    width = min(28, max(len(u) for u, _ in rows))
    lines = [t(language, "console.help")]
    for syntax, what in rows:
        if len(syntax) <= width:
            lines.append(f"  {syntax.ljust(width)}  {what}")
        else:
            lines.append(f"  {syntax}\n  {' ' * width}  {what}")
    return "\n".join(lines)


def render_profile(profile: Profile, language: str) -> str:
    if profile.partner_id is None:
        return profile.words(language)
    return escape_console(f"{profile.words(language)} ({profile.user_id})")


def render_result(result: Result, language: str) -> str:
    """What the console prints for any command's answer."""
    if isinstance(result, Reply):
        return render_reply(result, language)
    if isinstance(result, LeadCardView):
        return render_view(result)
    if isinstance(result, Report):
        return render_report(result, language)
    if isinstance(result, LeadList):
        if result.everyone is not None and not result.mine:
            return render_leads(result.everyone, language, staff=True)
        return render_leads(result.mine, language, staff=False)
    if isinstance(result, TeaserList):
        return "\n".join(render_view(v) for v in result.teasers) or t(language, "reply.no_teasers")
    if isinstance(result, Explanation):
        return escape_console("\n".join(result.lines))
    if isinstance(result, HelpView):
        return render_help(result, language)
    assert isinstance(result, Profile)
    return render_profile(result, language)
