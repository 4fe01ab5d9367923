"""Slack messages from leadbot's platform-neutral views: teasers, notices (lead cards:
:mod:`~bot.handlers.slack.lead_cards`).

Pure functions, one per view type, in the style of Bolt's starter template: a view (or a
:class:`~bot.chat.interactions.Reply`) goes in, a :class:`~bot.handlers.slack.kit.Message` with
Block Kit blocks and a notification text comes out. No I/O, no database, so each is tested
directly. All lead and user text is escaped (``kit.esc``); the words come from the i18n
catalogs in the view's language.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.chat.results import Reply
from bot.delivery.notices import (
    DigestView,
    LeadCardView,
    MessageView,
    NoticeKind,
    NoticeView,
    TeaserView,
)
from bot.handlers.slack import sales_kit
from bot.handlers.slack.kit import (
    Block,
    Message,
    actions,
    button,
    context,
    esc,
    fields,
    section,
)
from bot.handlers.slack.lead_cards import lead_card
from bot.handlers.text import band, day, label, moment, money, notice_text, reply_text
from bot.i18n import t
from bot.reports.digest import digest_lines

CLAIM = "lead_claim"  # DESIGN §6: the teaser button's action_id; its value is the offer id
DECLINE = "lead_decline"  # DESIGN §6: "Not for us" under the teaser; its value is the offer id
STAFF_REOFFER = "staff_reoffer"
STAFF_RELEASE = "staff_release"
STAFF_RELEASE_CONSENT = "staff_release_consent"
STAFF_EXPLAIN = "staff_explain"

_STAFF_BUTTONS = {
    "new_lead": (STAFF_EXPLAIN,),
    "offered": (STAFF_EXPLAIN,),
    "unmatched": (STAFF_REOFFER, STAFF_EXPLAIN),
    "unclaimed": (STAFF_REOFFER, STAFF_EXPLAIN),
    "duplicate": (STAFF_RELEASE,),
    "held": (STAFF_RELEASE_CONSENT,),
}


def local_time(value: datetime, language: str) -> str:
    """A moment Slack shows in each reader's own time zone (``<!date^…>``); the fallback
    text (notifications, old clients) is in ``[distribution] timezone``."""
    fallback = esc(moment(value, language))
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# --- teasers ----------------------------------------------------------------------------


def _teaser_facts(view: TeaserView) -> list[tuple[str, str]]:
    lang, f = view.language, view.facts
    temperature = label(lang, "temperature", f.temperature)
    if f.score is not None:
        temperature += f" ({f.score})"
    pairs = [
        ("teaser.industry", label(lang, "industry", f.industry)),
        ("teaser.employees", band(lang, f.employee_band)),
        ("teaser.revenue", band(lang, f.revenue_band, euros=True)),
        ("teaser.region", f.region),
        ("teaser.products", ", ".join(f.products) or "–"),
        ("teaser.value", band(lang, f.value_band, euros=True)),
        ("teaser.timeline", label(lang, "timeline", f.timeline)),
        ("teaser.temperature", temperature),
    ]
    return [(esc(t(lang, key)), esc(value)) for key, value in pairs]


def teaser(view: TeaserView) -> Message:
    """The anonymized teaser with its Claim button; once closed, the same facts and why."""
    lang, f = view.language, view.facts
    title = t(lang, "teaser.title")
    summary = (
        f"{title}: {label(lang, 'industry', f.industry)} · {f.region} · {', '.join(f.products)}"
    )
    if view.closed:
        outcome = t(lang, f"teaser.{view.closed}", rep=view.closed_by or "–")
        return Message(
            esc(f"{title}: {outcome}"),
            [
                section(f":lock: *{esc(title)}* · {esc(outcome)}"),
                fields(_teaser_facts(view)),
            ],
        )
    head = f":star: *{esc(title)}* · {esc(t(lang, 'teaser.wave', wave=view.wave))}"
    when = [f"{esc(t(lang, 'teaser.age'))}: {local_time(f.created_at, lang)}"]
    if view.expires_at is not None:
        when.append(f"{esc(t(lang, 'teaser.expires'))}: {local_time(view.expires_at, lang)}")
    claim = button(t(lang, "teaser.claim"), CLAIM, str(view.offer_id), style="primary")
    decline = button(t(lang, "decline.button"), DECLINE, str(view.offer_id))
    return Message(
        esc(summary),
        [
            section(head),
            fields(_teaser_facts(view)),
            context(" · ".join(when)),
            actions([claim, decline], block_id=f"offer-{view.offer_id}"),
        ],
    )


# --- short messages: staff feed, reminders, info, content, news ----------------------------


def _staff_details(view: MessageView) -> str | None:
    """Under a status line: the revenue, lost reason or follow-up date it reported."""
    lang, p = view.language, view.params
    if view.event != "status":
        return None
    revenue = p.get("revenue_eur")
    shown = [
        ("card.revenue", money(Decimal(str(revenue)), lang) if revenue else None),
        ("card.lost_reason", label(lang, "lost_reason", p["reason"]) if p.get("reason") else None),
        ("card.follow_up", day(p["follow_up_on"], lang) if p.get("follow_up_on") else None),
    ]
    parts = [f"{esc(t(lang, key))}: {esc(value)}" for key, value in shown if value]
    return " · ".join(parts) or None


def staff_notice(view: MessageView) -> Message:
    lang = view.language
    words = notice_text(lang, "staff", view.event, view.lead_id, view.params)
    blocks: list[Block] = [section(f":large_blue_diamond: {esc(words)}")]
    details = _staff_details(view)
    if details:
        blocks.append(context(details))
    if view.lead_id is not None and view.event in _STAFF_BUTTONS:
        labels = {
            STAFF_REOFFER: t(lang, "slack.staff_reoffer"),
            STAFF_RELEASE: t(lang, "slack.staff_release"),
            STAFF_RELEASE_CONSENT: t(lang, "slack.staff_release_consent"),
            STAFF_EXPLAIN: t(lang, "slack.staff_explain"),
        }
        elements = []
        for action_id in _STAFF_BUTTONS[view.event]:
            confirm = None
            if action_id == STAFF_RELEASE_CONSENT:
                confirm = {
                    "title": {"type": "plain_text", "text": t(lang, "slack.confirm_title")[:100]},
                    "text": {"type": "plain_text", "text": t(lang, "slack.confirm_release")},
                    "confirm": {"type": "plain_text", "text": t(lang, "slack.confirm_yes")},
                    "deny": {"type": "plain_text", "text": t(lang, "slack.confirm_no")},
                }
            elements.append(
                button(labels[action_id], action_id, str(view.lead_id), confirm=confirm)
            )
        blocks.append(actions(elements, block_id=f"staff-{view.lead_id}-{view.event}"))
    return Message(esc(words), blocks)


def content(view: MessageView) -> list[Message]:
    """A sales kit or kit update: a short list with *Show details* (see ``sales_kit``)."""
    if "items" not in view.params:
        words = notice_text(view.language, "content", view.event, view.lead_id, view.params)
        return [Message(esc(words), [section(f":paperclip: {esc(words)}")])]
    return sales_kit.arriving(view)


def news(view: MessageView) -> Message:
    lang, p = view.language, view.params
    head = t(lang, "news.item", company=p.get("company") or "", lead_id=view.lead_id)
    lines = [f":newspaper: *{esc(head)}*", f"*{esc(p.get('title', ''))}*"]
    if p.get("source"):
        lines[-1] += f" — {esc(p['source'])}"
    if p.get("summary"):
        lines.append(esc(p["summary"]))
    if p.get("link"):
        lines.append(esc(p["link"]))
    return Message(esc(head), [section("\n".join(lines))])


def message(view: MessageView) -> list[Message]:
    """Any short notice; a long content pack may become several messages."""
    if view.kind is NoticeKind.STAFF:
        return [staff_notice(view)]
    if view.kind is NoticeKind.CONTENT:
        return content(view)
    if view.kind is NoticeKind.NEWS:
        return [news(view)]
    icon = ":alarm_clock:" if view.kind is NoticeKind.REMINDER else ":information_source:"
    words = notice_text(view.language, view.kind.value, view.event, view.lead_id, view.params)
    return [Message(esc(words), [section(f"{icon} {esc(words)}")])]


def digest(view: DigestView) -> Message:
    """The digest's words: the ``initial_comment`` of the chart image the transport uploads."""
    title, *rest = digest_lines(view)
    text = f":bar_chart: *{esc(title)}*\n" + "\n".join(esc(line) for line in rest)
    return Message(text, [section(text)])


def render(view: NoticeView) -> list[Message]:
    """The Slack messages for any view the outbox sender resolves."""
    if isinstance(view, DigestView):
        return [digest(view)]
    if isinstance(view, TeaserView):
        return [teaser(view)]
    if isinstance(view, LeadCardView):
        return [lead_card(view)]
    return message(view)


def reply(answer: Reply, language: str) -> Message:
    """A short answer to the person who asked (sent ephemeral)."""
    mark = ":white_check_mark:" if answer.ok else ":warning:"
    words = esc(reply_text(language, answer.key, answer.params))
    return Message(f"{mark} {words}", [section(f"{mark} {words}")])
