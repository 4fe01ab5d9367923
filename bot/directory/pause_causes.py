"""Why a partner is paused when no person gave a reason, as data said in the reader's language.

A reason a person types (``--reason``, ``pause P1 Messe``) is stored as typed in
``partners.pause_reason`` and shown as typed. A pause nobody explained — staff or a manager
pausing without a reason, or leadbot itself after repeated missed deadlines — stores no
sentence but a *cause* in ``partners.pause_cause``: ``{"key": "paused_by", "by": …}`` or
``{"key": "sla_misses", "misses": …}``. ``explain`` says it in the reader's language
(i18n ``pause_cause.*``); ``--json`` keeps the English words in ``params.reason``, as it
did when the English sentence itself was stored (before migration 0012).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.actors import Actor
from bot.i18n import has, t
from bot.plaintext import one_line

PAUSED_BY = "paused_by"
SLA_MISSES = "sla_misses"


def paused_by(actor: Actor) -> dict[str, Any]:
    """Paused without a reason: who paused — a person's name, or None for staff known by
    no name (said as "staff" / "Mitarbeitenden"), like the staff feed's ``by``."""
    return {"key": PAUSED_BY, "by": actor.shown}


def sla_misses(misses: int) -> dict[str, Any]:
    """Paused by leadbot after the partner missed the first-contact deadline ``misses`` times."""
    return {"key": SLA_MISSES, "misses": misses}


def cause_words(cause: Mapping[str, Any], language: str) -> str | None:
    """The cause as a reader of ``language`` reads it; None for a cause this version does
    not know (the caller shows the stored English words then)."""
    key = f"pause_cause.{cause.get('key')}"
    if not has(language, key) and not has(language, f"{key}.by"):
        return None
    by = cause.get("by")
    who = one_line(str(by)) if by else t(language, "actor.staff")
    try:
        misses = int(cause.get("misses") or 0)
    except (TypeError, ValueError):
        misses = 0
    return t(language, key, by=who, misses=misses)
