"""What ``/healthz`` says about one supervised background task, from what its loops report.

The supervisor (:mod:`bot.supervisor`) sees only what escapes a job: an exception that ends
it. Most jobs catch their expected errors themselves and retry at the next pass — the
sender, the scheduler, the webhook sender during a database outage — so to the supervisor
a job whose every pass failed looked as healthy as one that worked, and ``/healthz`` showed
it ``ok``. Now the loops tell it how each pass went (:func:`bot.supervisor.working` after a
pass that worked, :func:`bot.supervisor.failing` after one that failed), and
:class:`TaskHealth` turns both views into the task's one report:

* the supervisor's own view — ``running``, ``restarting after <ErrorType>``, ``recovering
  after <ErrorType>``, ``down`` — set with :meth:`TaskHealth.set_base`;
* over it, while any *lane* of the job (a job may run several loops: the sender has one
  worker per platform and a heartbeat) has failed its latest passes: ``degraded`` —
  "failing: 3 passes in a row (last: TimeoutError)", ``since`` the first of those failures —
  until that lane has a pass that works. Restarting and ``down`` are not covered up: they
  are worse.

Only the error's *type* is shown, never its message (it can quote a URL with its password
or a lead's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.health import HealthBoard, State


@dataclass
class _Lane:
    """One loop's latest passes: how many failed in a row, since when, the last error type."""

    streak: int = 0
    failing_since: datetime | None = None
    last_error: str = ""


class TaskHealth:
    """The report of part ``task:<name>``, from the supervisor's view and the loops' passes."""

    def __init__(self, health: HealthBoard, part: str) -> None:
        self.health = health
        self.part = part
        self.base: tuple[State, str] = (State.OK, "running")
        self.lanes: dict[str, _Lane] = {}

    def new_run(self) -> None:
        """A (re)started run: the passes of the run before no longer say anything."""
        self.lanes.clear()

    def set_base(self, state: State, detail: str) -> None:
        """The supervisor's view (running, restarting, recovering, down)."""
        self.base = (state, detail)
        self.publish()

    def passed(self, lane: str) -> None:
        """A pass of ``lane`` worked: it is no longer failing."""
        current = self.lanes.get(lane)
        if current is None or current.streak:
            self.lanes[lane] = _Lane()
            self.publish()

    def failed(self, lane: str, error: BaseException) -> None:
        """A pass of ``lane`` failed and the loop retries it itself."""
        current = self.lanes.setdefault(lane, _Lane())
        if not current.streak:
            current.failing_since = self.health.clock.now()
        current.streak += 1
        current.last_error = type(error).__name__
        self.publish()

    def publish(self) -> None:
        state, detail = self.base
        failing = {name: lane for name, lane in self.lanes.items() if lane.streak}
        if state is State.DOWN or detail.startswith("restarting") or not failing:
            self.health.report(self.part, state, detail)
            return
        name, lane = min(failing.items(), key=lambda item: item[1].failing_since or _EPOCH)
        where = f" ({name})" if name else ""
        passes = "pass" if lane.streak == 1 else "passes"
        self.health.report(
            self.part,
            State.DEGRADED,
            f"failing{where}: {lane.streak} {passes} in a row (last: {lane.last_error})",
            since=lane.failing_since,
        )


_EPOCH = datetime.min
