"""Supervised background tasks: restarted with backoff after any error, visible in /healthz.

The server's long-running jobs (the outbox sender, the scheduler, the webhook sender,
the content and news loops, Telegram long polling, Slack Socket Mode, …) each retry their
own expected errors. What they do not expect — a bug, a library raising something new, an
answer nobody foresaw — used to end the task for good while ``/healthz`` stayed green.
:func:`supervise` runs a job forever instead:

* after any exception it waits 1, 2, 5, 10, then 30 s between
  attempts (:data:`BACKOFF_SECONDS`) and starts it again; a run that lasted
  :data:`STABLE_SECONDS` starts the backoff from the beginning;
* it reports ``task:<name>`` on the runtime's health board: ``ok`` while running (again
  after :data:`STABLE_SECONDS` without failing); ``degraded`` — "restarting after
  <ErrorType>" — while it backs off and until the restarted run is running, then
  "recovering after <ErrorType>" until that run has lasted :data:`STABLE_SECONDS`; ``down``
  from the :data:`DOWN_AFTER`-th failure in a row until a restarted run is running
  (``/healthz`` answers 503: the process cannot do its job; it keeps retrying every 30 s);
* a restarted run is *running* once the job says it did a unit of work (it calls
  :func:`working`: Telegram polling after a ``getUpdates`` answer it handled, the scheduler
  and the news poller after a pass) or once it has lasted :data:`RUNNING_SECONDS` without
  failing. Without this a task that had been ``down`` stayed ``down`` — and ``/healthz``
  503 — for the minute its recovered run needed to count as stable;
* it logs the error's type and stack frames, never its message (database errors quote
  personal data);
* an error from a database whose schema fell behind the code (downgraded, or an older
  backup restored, under the running server) is no failure of the job: the supervisor
  waits until ``leadbot migrate`` ran and starts the job again, without counting it or
  backing off (:mod:`bot.schemawatch`; the job's own loops wait the same way, and the
  tasks it starts can too: :func:`supervise` makes :func:`bot.schemawatch.wait_if_behind`
  work in them).

A job that *returns* has nothing (more) to do (the news poller without feeds): it is not
restarted and leaves the health board. Cancellation (the server stopping) ends the
supervisor at once.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar

from bot.health import HealthBoard, State
from bot.schemawatch import SchemaWatch, wait_if_behind, watch_here
from bot.taskhealth import TaskHealth

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]

BACKOFF_SECONDS: Sequence[float] = (1, 2, 5, 10, 30)
STABLE_SECONDS = 60.0
"""A run this long counts as healthy: the task is ``ok`` again and the backoff starts over."""
DOWN_AFTER = 5
"""Failures in a row (none of the runs lasting :data:`STABLE_SECONDS`) that make it ``down``."""
RUNNING_SECONDS = 10.0
"""A restarted run that lasted this long without failing is running (``degraded``,
recovering), even if its job never calls :func:`working`. Long enough that a job failing
each time on a stalled database's timeouts (3-5 s) stays ``down`` instead of flapping."""

PASS_SECONDS = 60.0
"""What one pass of a loop may take on top of the loop's own wait before it counts as stuck
(its database statements, its calls out are all bounded well below this)."""

_run: ContextVar[_Run | None] = ContextVar("supervisor_run", default=None)


def working(lane: str = "", *, within: float | None = None) -> None:
    """Tell the supervisor running this job that a unit of its work (a pass) succeeded.

    A restarted run is then shown as recovering (``degraded``) instead of ``down`` at once,
    not only after :data:`RUNNING_SECONDS`, and a ``lane`` that was failing
    (:func:`failing`) is no longer. ``lane`` names one of the job's loops when it runs
    several (the sender's worker per platform). ``within``: the seconds by which this
    lane's next pass will have ended, unless the loop is stuck — ``/healthz`` then shows the
    task ``degraded``, "stuck" (default :data:`bot.taskhealth.DEFAULT_WITHIN_SECONDS`).
    Cheap, and a no-op outside a supervised job: call it after every unit of work.
    """
    run = _run.get()
    if run is not None:
        run.passed(lane, within)


def failing(error: BaseException, lane: str = "", *, within: float | None = None) -> None:
    """Tell the supervisor that a pass of this job failed and the job retries it itself.

    ``/healthz`` then shows the task ``degraded`` — "failing: N passes in a row (last:
    <ErrorType>)", since the first of them — until a pass of ``lane`` works again
    (:func:`working`). ``within`` as for :func:`working`. A no-op outside a supervised job.
    """
    run = _run.get()
    if run is not None:
        run.failed(lane, error, within)


def named(name: str, job: Job) -> Job:
    """``job`` under the name it has in the log and in ``/healthz`` (``task:<name>``)."""

    async def run() -> None:
        await job()

    run.__name__ = run.__qualname__ = name
    return run


def part(name: str) -> str:
    return f"task:{name}"


async def supervise(
    name: str,
    job: Job,
    health: HealthBoard,
    *,
    backoff: Sequence[float] = BACKOFF_SECONDS,
    stable_seconds: float = STABLE_SECONDS,
    running_seconds: float = RUNNING_SECONDS,
    schema: SchemaWatch | None = None,
) -> None:
    """Run ``job`` until cancelled, restarting it with backoff after every failure;
    ``schema``: where to wait when the database fell behind the code."""
    loop = asyncio.get_running_loop()
    watch_here(schema, part(name))
    failures = 0
    last_error = ""
    task = TaskHealth(health, part(name))
    task.set_base(State.OK, "running")
    while True:
        started = loop.time()
        task.new_run()
        run = _Run(task, _Recovery(task, last_error) if failures else None)
        timers: list[asyncio.TimerHandle] = []
        if run.recovery is not None:  # a restart: recovering once it runs, ok after a minute
            timers += [
                loop.call_later(running_seconds, run.recovery.mark),
                loop.call_later(stable_seconds, run.recovery.steady),
            ]
        _run.set(run)
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error: Exception = exc
        else:  # a job that returns has nothing (more) to do, e.g. news without feeds
            health.forget(part(name))
            log.info("background task %s has nothing to do; it ended", name)
            return
        finally:
            for timer in timers:
                timer.cancel()
            run.over()
            _run.set(None)
        if await wait_if_behind(error):
            continue  # migrated meanwhile: start again, nothing of the job's failed
        last_error = type(error).__name__
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("background task %s failed: %s\n%s", name, last_error, frames)
        if loop.time() - started >= stable_seconds:
            failures = 0
        failures += 1
        delay = backoff[min(failures - 1, len(backoff) - 1)]
        if failures >= DOWN_AFTER:
            task.set_base(
                State.DOWN,
                f"failed {failures} times in a row (last: {last_error}); retrying every "
                f"{backoff[-1]:.0f}s",
            )
        else:
            task.set_base(State.DEGRADED, f"restarting after {last_error}")
        log.warning("background task %s restarts in %.0fs", name, delay)
        await asyncio.sleep(delay)


class _Run:
    """One run of a job: where its :func:`working` and :func:`failing` go.

    A late report from a task the job had started, after the run ended (the supervisor's
    loop reports the failure), changes nothing.
    """

    def __init__(self, task: TaskHealth, recovery: _Recovery | None) -> None:
        self.task = task
        self.recovery = recovery
        self.ended = False

    def passed(self, lane: str, within: float | None) -> None:
        if self.ended:
            return
        if self.recovery is not None:
            self.recovery.mark()
        self.task.passed(lane, within)

    def failed(self, lane: str, error: BaseException, within: float | None) -> None:
        if not self.ended:
            self.task.failed(lane, error, within)

    def over(self) -> None:
        self.ended = True
        if self.recovery is not None:
            self.recovery.over()


class _Recovery:
    """One restarted run's way back: ``degraded`` (recovering) once it runs, then ``ok``.

    Reports only forward: a unit of work after the run turned ``ok`` changes nothing, and
    once the run has ended (:meth:`over`) neither does a late timer.
    """

    def __init__(self, task: TaskHealth, last_error: str) -> None:
        self.task = task
        self.last_error = last_error
        self.stage = 0  # 0 restarted, 1 running (recovering), 2 steady, 3 ended

    def mark(self) -> None:
        if self.stage == 0:
            self.stage = 1
            self.task.set_base(State.DEGRADED, f"recovering after {self.last_error}")

    def steady(self) -> None:
        if self.stage < 2:
            self.stage = 2
            self.task.set_base(State.OK, "running")

    def over(self) -> None:
        self.stage = 3


_running: set[asyncio.Task[None]] = set()
"""Every supervised task of this process that has not ended, for :func:`stop_all`."""


def start(
    jobs: Sequence[Job], health: HealthBoard, schema: SchemaWatch | None = None
) -> list[asyncio.Task[None]]:
    """One supervised task per job, named after the job (see :func:`named`)."""
    tasks = [
        asyncio.create_task(
            supervise(job.__name__, job, health, schema=schema), name=f"task:{job.__name__}"
        )
        for job in jobs
    ]
    for task in tasks:
        _running.add(task)
        task.add_done_callback(_running.discard)
    return tasks


async def stop(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def stop_all(timeout: float) -> list[str]:
    """Cancel every supervised task of this event loop; wait for them at most ``timeout``.

    For a stop that cannot wait (``leadbot serve``'s second signal): the tasks' own
    clean-ups — giving a lease up, handing rows back — get ``timeout`` seconds in all, which
    a stalled database would otherwise stretch to their own, longer bounds. Returns the
    names of those that had not ended by then.
    """
    loop = asyncio.get_running_loop()
    tasks = [task for task in _running if task.get_loop() is loop]
    for task in tasks:
        task.cancel()
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    return sorted(task.get_name().removeprefix("task:") for task in pending)
