"""What a session holds unwritten (added, not flushed yet), by kind of row.

Several reads decide whether they must flush first by asking whether something of a kind
is waiting to be written (a partner, a lead, an offer). ``Session.new`` answers that by
building a set of every pending object: for leads received together
(:mod:`bot.intake.together`), which stay pending for a hundred leads, that was a walk
through hundreds of objects, three times per lead. Here the session's own lifecycle
events keep the pending objects sorted by class as they come and go.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

T = TypeVar("T")

_KEY = "leadbot_unwritten"


def _by_class(session: Session) -> dict[type, dict[int, Any]]:
    found: dict[type, dict[int, Any]] | None = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = {}
    return found


@event.listens_for(Session, "transient_to_pending")
def _added(session: Session, instance: Any) -> None:
    _by_class(session).setdefault(type(instance), {})[id(instance)] = instance


@event.listens_for(Session, "pending_to_persistent")
@event.listens_for(Session, "pending_to_transient")
def _gone(session: Session, instance: Any) -> None:
    """Written by a flush, or dropped again (expunged, rolled back)."""
    pending = _by_class(session).get(type(instance))
    if pending is not None:
        pending.pop(id(instance), None)


def unwritten(session: AsyncSession | Session, kind: type[T]) -> list[T]:
    """The objects of exactly this class that ``session`` holds unwritten."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    return list(_by_class(sync).get(kind, {}).values())


def any_unwritten(session: AsyncSession | Session, *kinds: type) -> bool:
    """Whether ``session`` holds an unwritten object of one of these classes."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    found = _by_class(sync)
    return any(found.get(kind) for kind in kinds)
