"""The lead card in Slack: the full lead for its owner, with the status steps it allows.

A pure builder like :mod:`bot.handlers.slack.blocks` (which renders every outbox view and
uses this one for cards); the same card is the DM after a claim, the ``/leads <id>`` card
and the source of App Home's buttons (:func:`status_buttons`).
"""

from __future__ import annotations

from bot.delivery.notices import LeadCardView
from bot.handlers.slack.kit import (
    Block,
    Message,
    actions,
    button,
    esc,
    fields,
    overflow,
    quoted,
    section,
)
from bot.handlers.text import day, label, money
from bot.i18n import t

STATUS_PREFIX = "lead_"  # lead_contacted, lead_won, ... ; the value is the lead id
MORE = "lead_more"  # the card's overflow menu; option values "<action>:<lead id>"
FREQUENT = ("contacted", "meeting", "proposal", "won")  # buttons; the rest go into MORE


def status_action_id(action: str) -> str:
    return f"{STATUS_PREFIX}{action}"


def more_value(action: str, lead_id: int) -> str:
    """The value of an overflow option: ``<action>:<lead id>`` (``lost:12``)."""
    return f"{action}:{lead_id}"


def status_buttons(lead_id: int, available: tuple[str, ...], language: str) -> Block | None:
    """The actions row of a lead card: only the actions the card's view allows.

    Phones show about four buttons in a row, so the frequent steps are buttons and the
    rare ones (lost, follow-up, hand back) sit in one overflow menu (``lead_more``) at the
    row's end; a lone rare action stays a button (Slack's menus take two options or more).
    """
    if not available:
        return None
    frequent = [a for a in available if a in FREQUENT]
    rare = [a for a in available if a not in FREQUENT]
    elements = [
        button(
            label(language, "action", action),
            status_action_id(action),
            str(lead_id),
            style="primary" if action == "won" else None,
        )
        for action in (frequent if len(rare) > 1 else available)
    ]
    if len(rare) > 1:
        options = [(label(language, "action", a), more_value(a, lead_id)) for a in rare]
        elements.append(overflow(MORE, options))
    return actions(elements, block_id=f"lead-{lead_id}")


def lead_card(view: LeadCardView) -> Message:
    """The full lead for its owner, with the status buttons its status allows."""
    lang, d = view.language, view.lead
    if d is None:
        if view.taken_off:
            words = view.taken_off_words()
        else:
            status = label(lang, "status", view.status.value)
            words = t(lang, "card.no_details", id=view.lead_id, status=status)
        return Message(esc(words), [section(f":pencil2: {esc(words)}")])
    title = t(lang, "card.title", id=d.id, company=d.company_name)
    status = label(lang, "status", d.status.value)
    blocks: list[Block] = [
        section(f":briefcase: *{esc(title)}*\n{esc(t(lang, 'card.status'))}: *{esc(status)}*")
    ]
    if view.event == "claimed":
        blocks.append(section(esc(t(lang, "card.claimed"))))
    changed_by = view.changed_by_words()
    if changed_by:
        blocks.append(section(f":pencil2: {esc(changed_by)}"))
    contact = d.contact_name or "–"
    if d.contact_role:
        contact += f" ({d.contact_role})"
    place = " ".join(p for p in (d.postal_code, d.city) if p)
    address = ", ".join(p for p in (d.street, place, d.country) if p) or "–"
    web = d.domain or "–"
    if d.ticker:
        web += f" · {t(lang, 'card.ticker')}: {d.ticker}"
    people = [
        ("card.contact", contact),
        ("card.email", d.contact_email or "–"),
        ("card.phone", d.contact_phone or "–"),
        ("card.address", address),
        ("card.domain", web),
        ("teaser.industry", label(lang, "industry", d.industry)),
        ("teaser.employees", "–" if d.employees is None else str(d.employees)),
        ("teaser.products", ", ".join(d.products) or "–"),
        ("teaser.value", money(d.estimated_value_eur, lang)),
        ("teaser.timeline", label(lang, "timeline", d.timeline)),
    ]
    blocks.append(fields([(esc(t(lang, k)), esc(v)) for k, v in people]))
    more = [
        ("card.campaign", d.campaign or "–"),
        ("card.score", "–" if d.score is None else str(d.score)),
    ]
    if d.follow_up_on:
        more.append(("card.follow_up", day(d.follow_up_on, lang)))
    if d.revenue_eur is not None:
        more.append(("card.revenue", money(d.revenue_eur, lang)))
    if d.lost_reason:
        more.append(("card.lost_reason", label(lang, "lost_reason", d.lost_reason)))
    if d.partner_name:
        more.append(("card.owner", d.partner_name + (f" ({d.rep_name})" if d.rep_name else "")))
    blocks.append(fields([(esc(t(lang, k)), esc(v)) for k, v in more]))
    if d.message:  # up to 5,000 characters (more once escaped): in as many sections as needed
        heading = f"*{esc(t(lang, 'card.message'))}*"
        blocks.extend(section(piece) for piece in quoted(heading, esc(d.message)))
    buttons = status_buttons(d.id, view.actions, lang)
    if buttons is not None:
        blocks.append(buttons)
    return Message(esc(f"{title} · {status}"), blocks)
