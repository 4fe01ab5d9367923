"""Warnings for loose values: kept as given, shown in teasers as the nearest known value.

Essential fields (contact, consent, products, address) are strict and refuse bad input;
non-essential ones that CRMs fill with their own picklists (the timeline, the industry)
take any printable text. The import and the API say what they kept and how teasers will
show it, so whoever maintains the CRM mapping can tidy it up — without losing the lead.

A consent given in the future (``consent.given_at`` ahead of the time the lead arrives,
beyond :data:`CONSENT_CLOCK_SKEW`) is said the same way. It is most likely a local time
sent with the wrong offset; the person's consent itself is not in doubt. Refusing it would
need a rule the OpenAPI document cannot state (JSON Schema has no "now"), and a CRM that
validates against the document must never refuse a consent given a minute ago.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.content.vocabulary import TIMELINES, industry_key, timeline_band
from bot.intake.problems import FieldProblem
from bot.intake.schema import LeadIn
from bot.plaintext import quoted

KEPT = "kept_as_given"
CONSENT_CLOCK_SKEW = timedelta(minutes=5)
"""How far ``consent.given_at`` may lie ahead of the lead's arrival without a word: the few
minutes by which two correctly set clocks may differ."""


def lenient_warnings(lead: LeadIn, received: datetime) -> list[FieldProblem]:
    """One warning per loose field whose value is not in its vocabulary, and one for a
    consent given more than :data:`CONSENT_CLOCK_SKEW` after ``received`` (UTC)."""
    warnings: list[FieldProblem] = []
    given = lead.consent.given_at
    if given is not None and given - received > CONSENT_CLOCK_SKEW:
        warnings.append(
            FieldProblem(
                ("consent", "given_at"),
                f"{given:%Y-%m-%dT%H:%M:%SZ} is {_duration(given - received)} after the "
                "lead arrived; kept as given — is the time zone right?",
                KEPT,
            )
        )
    timeline = lead.interest.timeline
    if timeline and timeline not in TIMELINES:
        shown = timeline_band(timeline, received.date())
        warnings.append(
            FieldProblem(
                ("interest", "timeline"),
                f"{quoted(timeline)} is not one of {', '.join(TIMELINES)}; kept as given, "
                f"teasers show {shown!r}",
                KEPT,
            )
        )
    industry = lead.company.industry
    if industry and industry_key(industry) is None:  # a known synonym needs no warning
        warnings.append(
            FieldProblem(
                ("company", "industry"),
                f"{quoted(industry)} is not a known industry; kept as given, teasers show 'other'",
                KEPT,
            )
        )
    return warnings


def _duration(delta: timedelta) -> str:
    """``timedelta(hours=30)`` -> ``30 hours``: how far off a time is, for a message."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours"
    return f"{minutes // (24 * 60)} days"
