"""Priority lanes of the outbox: what a sender sends first when it cannot send everything.

A platform's shared limits (Telegram's 30 messages a second for the whole bot, Slack's
workspace ceiling, the sender's connections) are spent on the most urgent notices first:

* lane 0, **urgent**: a claimer's lead card, the "taken"/"expired" edits of teasers,
  reminders and information for reps, and the staff feed — people are waiting for these;
* lane 1, **teasers**: offers to partners. Teasers of different leads interleave (the
  sender orders a lane by each lead's own sequence), so a new lead's first wave is not
  stuck behind the tail of another lead's wide wave;
* lane 2, **bulk**: sales content, prospect news and the weekly digest.

Lanes never reorder messages to one address: a row waits while an older row to the same
address is pending, whatever their lanes (a lead card before its content pack, a teaser
before its "taken" edit).
"""

from __future__ import annotations

from enum import IntEnum

from bot.delivery.notices import NoticeKind


class Lane(IntEnum):
    URGENT = 0
    TEASERS = 1
    BULK = 2


_LANES: dict[str, Lane] = {
    NoticeKind.TEASER_CLOSED.value: Lane.URGENT,
    NoticeKind.LEAD_CARD.value: Lane.URGENT,
    NoticeKind.REMINDER.value: Lane.URGENT,
    NoticeKind.REP_INFO.value: Lane.URGENT,
    NoticeKind.STAFF.value: Lane.URGENT,
    NoticeKind.TEASER.value: Lane.TEASERS,
    NoticeKind.CONTENT.value: Lane.BULK,
    NoticeKind.NEWS.value: Lane.BULK,
    NoticeKind.DIGEST.value: Lane.BULK,
}


def lane_of(kind: str) -> Lane:
    """The lane of a notice kind (an unknown kind goes with the teasers)."""
    return _LANES.get(kind, Lane.TEASERS)
