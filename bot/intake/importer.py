"""Storing a validated lead file through the same intake path as the HTTP API.

One unit of work for the whole file: either every lead of the file is stored (and its
teasers queued) or none is. That makes a failure half-way (the database goes away, a bug)
harmless — nothing was stored, and running the same command again is the fix — and it
makes duplicates *within* a file behave exactly like two API calls in a row: the second
lead with the same contact e-mail or company domain is held as a possible duplicate.

Leads whose ``external_id`` is already stored are not touched ("already known"), so
importing the same file twice is safe. New unmatched leads whose consent names partners
that are not active partners are listed with the API's warning (``unknown_partners``). Leads whose ``external_id`` belonged to an erased
lead are skipped and named (an erased lead never comes back, :mod:`bot.crm.erased_leads`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.actors import Actor
from bot.errors import Gone
from bot.intake.partner_warnings import unknown_partner_warnings
from bot.intake.problems import FieldProblem
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.intake.together import LeadsTogether
from bot.models import LeadStatus
from bot.uow import UnitOfWork


@dataclass
class LeadImportSummary:
    new: int = 0
    known: int = 0
    statuses: Counter[LeadStatus] = field(default_factory=Counter)  # of the new leads
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(position in the file, why) of each lead not taken in: it was erased."""
    unknown_partners: list[tuple[int, FieldProblem]] = field(default_factory=list)
    """(position in the file, warning) of each new unmatched lead whose consent names
    partners that are not active partners (:mod:`bot.intake.partner_warnings`)."""

    @property
    def total(self) -> int:
        return self.new + self.known + len(self.skipped)

    def __str__(self) -> str:
        noun = "lead" if self.total == 1 else "leads"
        counts = ((self.new, "new"), (self.known, "already known"), (len(self.skipped), "skipped"))
        parts = [f"{n} {label}" for n, label in counts if n]
        text = f"{self.total} {noun}" + (f": {', '.join(parts)}" if parts else "")
        if self.statuses:
            order = list(LeadStatus)
            states = sorted(self.statuses.items(), key=lambda kv: order.index(kv[0]))
            text += " (" + ", ".join(f"{n} {status.value}" for status, n in states) + ")"
        if self.unknown_partners:
            text += f"; {len(self.unknown_partners)} naming unknown partners"
        return text


async def import_leads(
    uow: UnitOfWork,
    leads: Sequence[LeadIn],
    actor: Actor,
    advance: Callable[[], None] | None = None,
) -> LeadImportSummary:
    """Receive every lead in ``uow``; the caller commits (or rolls back for a dry run)."""
    summary = LeadImportSummary()
    together = LeadsTogether(uow, leads)  # written a hundred leads at a time
    created: list[tuple[int, LeadStatus]] = []
    async with uow.outbox.grouped():  # the notices of all these leads in one statement
        for position, lead in enumerate(leads):
            try:
                result = await receive(uow, lead, actor, together)
            except Gone as exc:  # refused before anything was written for this lead
                summary.skipped.append((position, str(exc)))
                if advance:
                    advance()
                continue
            if result.created:
                summary.new += 1
                summary.statuses[result.status] += 1
                created.append((position, result.status))
            else:
                summary.known += 1
            if advance:
                advance()
    # As the API answers a new lead: once, after all of them, in a few statements.
    warnings = await unknown_partner_warnings(
        uow.session, [(leads[position], status) for position, status in created]
    )
    summary.unknown_partners = [
        (position, warning)
        for (position, _), warning in zip(created, warnings, strict=True)
        if warning is not None
    ]
    return summary
