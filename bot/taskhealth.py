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
  are worse;
* every report of a pass, worked or failed, says by when the lane's next one is due
  (``within``). A task whose lane misses that is *stuck* — a loop waiting on something that
  never comes — and ``/healthz`` shows it ``degraded``, "stuck (slack): no pass finished for
  95 s" (:class:`bot.health.Progress`), where it used to say ``ok`` for as long as the task
  had not raised. ``last_pass`` tells when a pass last worked.

Only the error's *type* is shown, never its message (it can quote a URL with its password
or a lead's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.health import HealthBoard, Progress, State

DEFAULT_WITHIN_SECONDS = 300.0
"""When a loop does not say by when its next pass is due (Telegram polling's long polls)."""


@dataclass
class _Lane:
    """One loop's latest passes: how many failed in a row, since when, the last error type."""

    streak: int = 0
    failing_since: datetime | None = None
    last_error: str = ""
    seen: datetime | None = None
    """When the lane last finished a pass, worked or failed."""
    within: float = DEFAULT_WITHIN_SECONDS


class TaskHealth:
    """The report of part ``task:<name>``, from the supervisor's view and the loops' passes."""

    def __init__(self, health: HealthBoard, part: str) -> None:
        self.health = health
        self.part = part
        self.base: tuple[State, str] = (State.OK, "running")
        self.lanes: dict[str, _Lane] = {}
        self.last_pass: datetime | None = None

    def new_run(self) -> None:
        """A (re)started run: the passes of the run before no longer say anything."""
        self.lanes.clear()

    def set_base(self, state: State, detail: str) -> None:
        """The supervisor's view (running, restarting, recovering, down)."""
        self.base = (state, detail)
        self.publish()

    def passed(self, lane: str, within: float | None) -> None:
        """A pass of ``lane`` worked: it is no longer failing; the next is due ``within``."""
        now = self.health.clock.now()
        self.lanes[lane] = _Lane(seen=now, within=within or DEFAULT_WITHIN_SECONDS)
        self.last_pass = now
        self.publish()

    def failed(self, lane: str, error: BaseException, within: float | None) -> None:
        """A pass of ``lane`` failed and the loop retries it itself."""
        now = self.health.clock.now()
        current = self.lanes.setdefault(lane, _Lane())
        if not current.streak:
            current.failing_since = now
        current.streak += 1
        current.last_error = type(error).__name__
        current.seen = now
        current.within = within or DEFAULT_WITHIN_SECONDS
        self.publish()

    def progress(self) -> Progress:
        """The last pass, and the lane whose next pass is due first."""
        due: tuple[datetime, str, datetime] | None = None
        for name, lane in self.lanes.items():
            if lane.seen is not None:
                by = lane.seen + timedelta(seconds=lane.within)
                if due is None or by < due[0]:
                    due = (by, name, lane.seen)
        if due is None:
            return Progress(self.last_pass)
        return Progress(self.last_pass, due[0], due[1], due[2])

    def publish(self) -> None:
        state, detail = self.base
        progress = self.progress()
        failing = {name: lane for name, lane in self.lanes.items() if lane.streak}
        if state is State.DOWN or detail.startswith("restarting") or not failing:
            self.health.report(self.part, state, detail, progress=progress)
            return
        name, lane = min(failing.items(), key=lambda item: item[1].failing_since or _EPOCH)
        where = f" ({name})" if name else ""
        passes = "pass" if lane.streak == 1 else "passes"
        self.health.report(
            self.part,
            State.DEGRADED,
            f"failing{where}: {lane.streak} {passes} in a row (last: {lane.last_error})",
            since=lane.failing_since,
            progress=progress,
        )


_EPOCH = datetime.min
