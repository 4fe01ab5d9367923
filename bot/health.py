"""What the running process knows about its own parts, for ``/healthz``.

Parts that can be degraded without the service being down report here instead of raising:
the coordination layer ("redis": working on the database because Redis is unreachable),
the supervised background tasks ("task:sender": restarting after an error). ``/healthz``
lists every report; a part that is ``down`` makes the answer 503, a ``degraded`` one keeps
it 200 with ``"status": "degraded"`` — a load balancer keeps sending traffic, an operator
sees what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock, SystemClock


class State(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class Report:
    """One part's state, with a short reason (an error *type*, never its text) and since when."""

    state: State
    detail: str = ""
    since: datetime | None = None


@dataclass
class HealthBoard:
    """Latest report per part. Cheap to write from any task; read by ``/healthz``."""

    clock: Clock = field(default_factory=SystemClock)
    _reports: dict[str, Report] = field(default_factory=dict)

    def report(
        self, part: str, state: State, detail: str = "", *, since: datetime | None = None
    ) -> None:
        """Record ``part``'s state; ``since`` changes only when the state does, unless the
        caller knows better (a task failing since its first failed pass)."""
        current = self._reports.get(part)
        if since is None and current is not None and current.state == state:
            since = current.since
        self._reports[part] = Report(state, detail, since or self.clock.now())

    def forget(self, part: str) -> None:
        self._reports.pop(part, None)

    def reports(self) -> dict[str, Report]:
        return dict(self._reports)

    def worst(self) -> State:
        states = {r.state for r in self._reports.values()}
        for state in (State.DOWN, State.DEGRADED):
            if state in states:
                return state
        return State.OK
