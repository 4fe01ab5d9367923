"""What a Claim press can come to, and who is told what when the lead is already owned.

Shared by the write transaction (:mod:`bot.leads.claims`) and the batched early read
(:mod:`bot.leads.claim_reads`), so both answer a press on a decided lead alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ClaimOutcome(StrEnum):
    WON = "won"
    ALREADY_YOURS = "already_yours"
    COLLEAGUE = "colleague"  # a colleague at the same partner has it
    TAKEN = "taken"
    CLOSED = "closed"
    NOT_OFFERED = "not_offered"
    AT_CAPACITY = "at_capacity"
    INACTIVE = "inactive"  # the rep or the partner is deactivated
    PAUSED = "paused"  # the partner is paused (staff) or away (its managers)
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    offer_id: int
    lead_id: int | None = None
    colleague: str | None = None  # the colleague who has the lead (COLLEAGUE)

    @property
    def won(self) -> bool:
        return self.outcome is ClaimOutcome.WON


@dataclass(frozen=True)
class Presser:
    """Who pressed Claim on which offer, as plain values: read before a rollback, which
    expires every loaded object (reading one afterwards would need I/O the async session
    cannot do implicitly)."""

    offer_id: int
    lead_id: int
    rep_id: int
    partner_id: str


def owner_outcome(presser: Presser, owner: tuple[int, str, str | None] | None) -> ClaimResult:
    """Who has the lead (``owner``: rep id, partner id, name): the presser, a colleague
    (named: they sit together), or another partner (never named). Nobody (the lead was
    handed back, recalled or went on to a new round): it is no longer available to the
    presser — "already taken" would be untrue."""
    offer_id, lead_id = presser.offer_id, presser.lead_id
    if owner is None:
        return ClaimResult(ClaimOutcome.CLOSED, offer_id, lead_id)
    if owner[0] == presser.rep_id:
        return ClaimResult(ClaimOutcome.ALREADY_YOURS, offer_id, lead_id)
    if owner[1] == presser.partner_id:
        return ClaimResult(ClaimOutcome.COLLEAGUE, offer_id, lead_id, owner[2])
    return ClaimResult(ClaimOutcome.TAKEN, offer_id, lead_id)
