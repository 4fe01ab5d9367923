"""The lead state machine of DESIGN §2, as data. Pure: no database, no I/O.

Every status change in the services goes through :func:`check_transition`, so the table
below is the single place that says what may follow what.
"""

from __future__ import annotations

from bot.models.enums import LeadStatus as S

PROGRESS: tuple[S, ...] = (
    S.CLAIMED,
    S.CONTACTED,
    S.MEETING,
    S.PROPOSAL,
)
"""Owned states, in the order a sale progresses. A rep may move forward, skipping steps."""

OWNED: frozenset[S] = frozenset(PROGRESS)
CLOSED: frozenset[S] = frozenset({S.WON, S.LOST})
OPEN_FOR_FOLLOW_UP: frozenset[S] = OWNED
"""States in which a follow-up date can be set (the lead is open and has an owner)."""

_TRANSITIONS: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.HELD, S.UNMATCHED, S.OFFERED}),
    S.HELD: frozenset({S.OFFERED, S.UNMATCHED}),
    S.UNMATCHED: frozenset({S.OFFERED}),
    S.OFFERED: frozenset({S.CLAIMED, S.UNCLAIMED}),
    S.UNCLAIMED: frozenset({S.OFFERED, S.UNMATCHED}),
    S.RETURNED: frozenset({S.OFFERED, S.UNMATCHED}),
    S.RECALLED: frozenset({S.OFFERED, S.UNMATCHED}),
    S.WON: frozenset(),
    S.LOST: frozenset(),
    S.ERASED: frozenset(),
}
for _i, _state in enumerate(PROGRESS):
    _TRANSITIONS[_state] = frozenset(PROGRESS[_i + 1 :]) | {S.WON, S.LOST, S.RETURNED, S.RECALLED}

# Erasure (a data-subject request) is possible from every state but erased itself.
for _state in list(_TRANSITIONS):
    if _state is not S.ERASED:
        _TRANSITIONS[_state] = _TRANSITIONS[_state] | {S.ERASED}


class IllegalTransition(Exception):
    """A status change that the lifecycle does not allow. Nothing was changed."""

    def __init__(self, lead_id: int, current: S, wanted: S) -> None:
        self.lead_id, self.current, self.wanted = lead_id, current, wanted
        self.key = "reply.not_now"  # what a chat says (the asker's language); no list of states
        self.params = {"lead_id": lead_id, "status": current.value}
        allowed = ", ".join(sorted(s.value for s in _TRANSITIONS[current])) or "none (closed)"
        super().__init__(
            f"lead {lead_id} is {current.value}; it cannot become {wanted.value} "
            f"(possible next: {allowed})"
        )


def allowed_next(current: S) -> frozenset[S]:
    return _TRANSITIONS[current]


def can_transition(current: S, wanted: S) -> bool:
    return wanted in _TRANSITIONS[current]


def check_transition(lead_id: int, current: S, wanted: S) -> None:
    if not can_transition(current, wanted):
        raise IllegalTransition(lead_id, current, wanted)


def is_open(status: S) -> bool:
    """Open for the partner: owned and not closed (counts against capacity)."""
    return status in OWNED
