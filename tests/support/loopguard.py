"""A test's event loop that cannot end says which task would not stop.

At the end of an async test, pytest-asyncio closes the test's event loop, and asyncio
cancels every task still running and waits for all of them — without a bound. A task that
does not finish once cancelled (a close waiting on a connection that never answers)
used to hang the teardown until pytest-timeout killed the test 300 s later, with only
the threads' stacks to go by. :func:`install` bounds that wait and fails with each
stuck task's await chain instead: the same hang would keep ``leadbot serve`` from
stopping, so it is a bug to find, not to wait out.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
from types import CoroutineType, GeneratorType
from typing import Any

BOUND_SECONDS = 30.0


def await_chain(task: asyncio.Task[Any]) -> list[str]:
    """Where ``task`` is suspended: each coroutine's file, line and function, outermost first."""
    lines: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if isinstance(awaited, (CoroutineType, GeneratorType)) and frame is not None:
            lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        else:
            lines.append(repr(awaited)[:200])
            break
    return lines


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _, pending = loop.run_until_complete(asyncio.wait(tasks, timeout=BOUND_SECONDS))
    if pending:
        report = "\n".join(
            f"- {task.get_name()}:\n    " + "\n    ".join(await_chain(task)) for task in pending
        )
        raise RuntimeError(
            f"{len(pending)} task(s) did not stop within {BOUND_SECONDS:.0f}s of being "
            f"cancelled at the end of the test's event loop:\n{report}"
        )
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during asyncio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )


def install() -> None:
    """Replace asyncio's unbounded wait at a loop's end (for this test process)."""
    asyncio.runners._cancel_all_tasks = _cancel_all_tasks  # type: ignore[attr-defined]
