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
    progress: Progress | None = None
    """For a task whose loops report their passes: when the last one worked, and by when
    the next report is due (a task that misses it is shown stuck)."""


@dataclass(frozen=True)
class Progress:
    """A background task's passes (:mod:`bot.taskhealth`)."""

    last_pass: datetime | None
    """The last pass that worked, of any of its loops."""
    due: datetime | None = None
    """By when the next pass of its quietest loop must have ended, worked or failed."""
    lane: str = ""
    """That loop ("" for a task with one)."""
    lane_seen: datetime | None = None
    """When that loop last finished a pass."""

    def stuck(self, report: Report, now: datetime) -> Report | None:
        """``report`` as ``degraded`` "stuck" when the due pass is overdue, else None. Only
        an ``ok`` report turns stuck, and only one that was ``ok`` when the pass fell due: a
        degraded or down one already says what is wrong (restarting, failing, waiting for
        ``leadbot migrate``)."""
        if self.due is None or now <= self.due or report.state is not State.OK:
            return None
        if report.since is not None and report.since > self.due:
            return None  # ok again only since then (it waited for `leadbot migrate`)
        where = f" ({self.lane})" if self.lane else ""
        quiet = int((now - (self.lane_seen or self.due)).total_seconds())
        detail = f"stuck{where}: no pass finished for {quiet} s"
        return Report(State.DEGRADED, detail, self.due, self)


@dataclass
class HealthBoard:
    """Latest report per part. Cheap to write from any task; read by ``/healthz``."""

    clock: Clock = field(default_factory=SystemClock)
    _reports: dict[str, Report] = field(default_factory=dict)

    def report(
        self,
        part: str,
        state: State,
        detail: str = "",
        *,
        since: datetime | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Record ``part``'s state; ``since`` changes only when the state does, unless the
        caller knows better (a task failing since its first failed pass). A report without
        ``progress`` keeps the part's."""
        current = self._reports.get(part)
        if since is None and current is not None and current.state == state:
            since = current.since
        if progress is None and current is not None:
            progress = current.progress
        self._reports[part] = Report(state, detail, since or self.clock.now(), progress)

    def forget(self, part: str) -> None:
        self._reports.pop(part, None)

    def reports(self) -> dict[str, Report]:
        """Every part's report as of now: a task whose next pass is overdue is stuck."""
        now = self.clock.now()
        out = dict(self._reports)
        for part, report in out.items():
            stuck = report.progress.stuck(report, now) if report.progress else None
            if stuck is not None:
                out[part] = stuck
        return out

    def worst(self) -> State:
        states = {r.state for r in self.reports().values()}
        for state in (State.DOWN, State.DEGRADED):
            if state in states:
                return state
        return State.OK
