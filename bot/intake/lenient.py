"""Warnings for loose values: kept as given, shown in teasers as the nearest known value.

Essential fields (contact, consent, products, address) are strict and refuse bad input;
non-essential ones that CRMs fill with their own picklists (the timeline, the industry)
take any printable text. The import and the API say what they kept and how teasers will
show it, so whoever maintains the CRM mapping can tidy it up — without losing the lead.
"""

from __future__ import annotations

from datetime import date

from bot.content.vocabulary import TIMELINES, industry_key, timeline_band
from bot.intake.problems import FieldProblem
from bot.intake.schema import LeadIn
from bot.plaintext import quoted

KEPT = "kept_as_given"


def lenient_warnings(lead: LeadIn, received: date) -> list[FieldProblem]:
    """One warning per loose field whose value is not in its vocabulary."""
    warnings: list[FieldProblem] = []
    timeline = lead.interest.timeline
    if timeline and timeline not in TIMELINES:
        shown = timeline_band(timeline, received)
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
