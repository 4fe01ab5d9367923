"""Views to e-mails: a subject, a plain-text part and an HTML part from the same view.

Both parts come from Jinja2 templates in ``templates/`` (``*.txt.j2`` and ``*.html.j2``),
rendered with the same context, so they always say the same thing. Every value is escaped
by the environment (:func:`bot.handlers.text.environment`): HTML-escaped for the HTML part,
control characters dropped for the text part. Subjects are built here from i18n keys and
made one safe line (no header injection, whatever a company is called).

A mail cannot be edited once sent, so a lead card that changes becomes a short *status*
mail (:func:`render_view` with ``update=True``) instead of a second full card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.delivery.notices import LeadCardView, MessageView, NoticeKind, NoticeView, TeaserView
from bot.handlers import text
from bot.handlers.email.platform import escape_html
from bot.handlers.text import label
from bot.i18n import t
from bot.plaintext import strip_control

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_SUBJECT = 140
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ActionLink:
    """A one-click link for one status action of a lead card."""

    action: str
    url: str


@dataclass(frozen=True)
class Links:
    """The signed links a mail carries (made by the transport; none in tests of privacy)."""

    claim: str | None = None
    decline: str | None = None
    actions: tuple[ActionLink, ...] = ()
    expires_at: datetime | None = None
    unsubscribe: str | None = None
    """A teaser's one-click unsubscribe link (footer and ``List-Unsubscribe``)."""


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def web_url(value: object) -> str | None:
    """Only http(s) URLs become links (a feed could carry ``javascript:``)."""
    url = str(value or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def one_line(value: str, limit: int = MAX_SUBJECT) -> str:
    """A header-safe single line: control characters and line breaks gone, length capped.

    ``=?`` becomes ``= ?``: Python's ``email`` reads ``=?utf-8?b?…?=`` in a header value
    as an RFC 2047 encoded word and decodes it — a company name could hide a line break
    (and with it a ``Reply-To`` of its choosing) in printable text. Done last, so no
    removed character can join an ``=`` and a ``?`` again.
    """
    line = _SPACE.sub(" ", strip_control(value).replace("\r", " ").replace("\n", " ")).strip()
    line = line.replace("=?", "= ?")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _both(template: str, **context: Any) -> tuple[str, str]:
    context = {"web_url": web_url, **context}
    plain = text.render(text.environment(TEMPLATES, strip_control), f"{template}.txt.j2", **context)
    rich = text.render(text.environment(TEMPLATES, escape_html), f"{template}.html.j2", **context)
    return plain + "\n", rich + "\n"


def _subject(view: NoticeView, update: bool) -> str:
    lang = view.language
    if isinstance(view, TeaserView):
        f = view.facts
        return t(
            lang,
            "email.subject_teaser",
            industry=label(lang, "industry", f.industry),
            region=f.region,
            products=", ".join(f.products) or "–",
        )
    if isinstance(view, LeadCardView):
        status = label(lang, "status", view.status.value)
        if view.lead is None and view.event == "taken_over":
            # What happened, not the lead's status: the status is the new owner's to report.
            return t(lang, "email.subject_taken_over", id=view.lead_id, colleague=view.colleague)
        if view.lead is None:
            return t(lang, "email.subject_card_gone", id=view.lead_id, status=status)
        if update:
            return t(lang, "email.subject_status", id=view.lead_id, status=status)
        return t(lang, "email.subject_card", id=view.lead_id, company=view.lead.company_name)
    lead_id = view.lead_id
    if view.kind is NoticeKind.REMINDER and view.event == "fresh_links":
        return t(lang, "email.subject_fresh_links", lead_id=lead_id)  # asked for (renew.py)
    if view.kind is NoticeKind.REMINDER:
        return t(lang, "email.subject_reminder", lead_id=lead_id)
    if view.kind is NoticeKind.CONTENT:
        key = "email.subject_content" if view.event == "pack" else "email.subject_content_update"
        return t(lang, key, lead_id=lead_id)
    if view.kind is NoticeKind.NEWS:
        return t(lang, "email.subject_news", lead_id=lead_id)
    if lead_id is None:
        return t(lang, "email.subject_info_general")
    return t(lang, "email.subject_info", lead_id=lead_id)


def render_view(view: NoticeView, links: Links | None = None, *, update: bool = False) -> Mail:
    """The mail for a view; ``update`` for a lead card that was already mailed once."""
    links = links or Links()
    if isinstance(view, TeaserView):
        template = "teaser"
    elif isinstance(view, LeadCardView):
        template = "status" if update or view.lead is None else "card"
    else:
        assert isinstance(view, MessageView)
        template = "message"
    plain, rich = _both(template, view=view, links=links, lang=view.language)
    return Mail(one_line(_subject(view, update)), plain, rich)
