"""The small HTML pages behind ``/email/act``: a form with one button, or what happened.

Phone-friendly, in the reader's language, with no external assets (inline CSS, no
scripts, no images), every value HTML-escaped by the template environment. The response
headers keep the page private: no caching, no referrer (the address holds the token),
not indexed, not framed, and a content security policy that allows nothing but its own
inline styles and posting its form back here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse

from bot.handlers import text
from bot.handlers.email.form import Fields
from bot.handlers.email.platform import escape_html
from bot.handlers.text import label, reply_text
from bot.i18n import t

TEMPLATES = Path(__file__).resolve().parent / "templates"

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Form:
    """A form that posts the token back with what the action needs."""

    token: str
    button: str
    lines: tuple[str, ...] = ()
    reps: tuple[Choice, ...] = ()
    fields: Fields = field(default_factory=Fields)
    reasons: tuple[Choice, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    hidden: tuple[tuple[str, str], ...] = ()
    """More hidden fields besides the token (name, value)."""


def reasons(language: str, fields: Fields) -> tuple[Choice, ...]:
    return tuple(Choice(r, label(language, fields.reason_group, r)) for r in fields.reasons)


def _render(language: str, **context: Any) -> str:
    env = text.environment(TEMPLATES, escape_html)
    return text.render(env, "page.html.j2", lang=language, **context) + "\n"


def form_page(language: str, title: str, form: Form, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _render(language, title=title, form=form, message=None, ok=None), status, HEADERS
    )


def message_page(
    language: str, key: str, params: dict[str, Any] | None = None, *, ok: bool, status: int
) -> HTMLResponse:
    """What happened, in one sentence (an i18n key with its parameters)."""
    message = reply_text(language, key, params or {})
    title = t(language, "email.page.title")
    return HTMLResponse(
        _render(language, title=title, form=None, message=message, ok=ok), status, HEADERS
    )
