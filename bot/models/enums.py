"""The closed vocabularies stored in the database. ``StrEnum`` so the stored value is the text."""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    RECEIVED = "received"
    HELD = "held"
    UNMATCHED = "unmatched"
    OFFERED = "offered"
    UNCLAIMED = "unclaimed"
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    MEETING = "meeting"
    PROPOSAL = "proposal"
    WON = "won"
    LOST = "lost"
    RETURNED = "returned"
    RECALLED = "recalled"
    ERASED = "erased"


class HoldReason(StrEnum):
    NO_CONSENT = "no_consent"
    POSSIBLE_DUPLICATE = "possible_duplicate"
    PREVIOUSLY_ERASED = "previously_erased"  # same contact e-mail as an erased lead


class OfferStatus(StrEnum):
    OPEN = "open"  # teaser out, Claim possible
    WON = "won"  # this partner's rep claimed the lead
    TAKEN = "taken"  # another partner claimed it first
    CLOSED = "closed"  # withdrawn: last wave expired, lead erased, ...
    DECLINED = "declined"  # the partner said "not for us"; it is excluded from the lead


class ActorKind(StrEnum):
    REP = "rep"
    STAFF = "staff"
    SYSTEM = "system"


class Channel(StrEnum):
    """Where an action came from (audit) or where a notice goes (platform)."""

    SLACK = "slack"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    EMAIL = "email"
    API = "api"
    CLI = "cli"
    SCHEDULER = "scheduler"


class Platform(StrEnum):
    """Chat platforms that receive notices through the outbox."""

    SLACK = "slack"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # obsolete when its turn came (e.g. teaser of a lead already taken)
    FAILED = "failed"  # permanent error; kept, shown to staff, can be re-queued


class TimerKind(StrEnum):
    WAVE_EXPIRY = "wave_expiry"
    CLAIM_SLA_REMINDER = "claim_sla_reminder"
    CLAIM_SLA_RECALL = "claim_sla_recall"
    FOLLOW_UP = "follow_up"
    DIGEST = "digest"  # the weekly staff digest; not about one lead (lead_id is NULL)
    PARTNER_RESUME = "partner_resume"  # a pause "until <date>" ends (lead_id is NULL)
    QUESTION_EXPIRY = "question_expiry"  # a chat question to a rep ran out (bot/leads/questions.py)


class MessageKind(StrEnum):
    """Platform messages we may edit later."""

    TEASER = "teaser"
    LEAD_CARD = "lead_card"
