"""Benchmark: the timeline of a burst — when each lead was answered, queued and sent.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/burst.py                  # SQLite, one process
    .venv/bin/python bench/burst.py --only pg1 pg3   # PostgreSQL, one and three processes

``bench/intake.py``'s teaser p50/p99 say *when* a burst's teasers arrived; this says *why*.
Per setup (the world of ``bench/intake.py``) it posts 200 leads at once, each to its own
partner, twice, and prints for each burst the seconds from its start until each lead was

* ``answered``  its ``POST /api/leads`` returned;
* ``queued``    its teaser was written to the outbox (``outbox.created_at``, in the
                lead's transaction);
* ``sent``      the sender marked its teaser sent (``outbox.sent_at``);

and ``sent - queued`` per teaser: how long the sender took to get to it (round 6 of
docs/performance.md: about 0.6 s on SQLite, most teasers going out after the burst).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import intake
from loadworld import median, percentile, pick, wait_until, world
from sqlalchemy import text

from bot.db import create_engine_sync
from tests.support.fanout import channel

BURSTS = 2


def _seconds(moment: datetime | str) -> float:
    if isinstance(moment, str):  # SQLite hands back text for raw statements
        moment = datetime.fromisoformat(moment)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def teaser_times(database_url: str, count: int) -> list[tuple[float, float]]:
    """(queued, sent) of the newest ``count`` teasers."""
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT created_at, sent_at FROM outbox WHERE kind = 'teaser' "
                    "ORDER BY id DESC LIMIT :count"
                ),
                {"count": count},
            ).all()
    finally:
        engine.dispose()
    return [(_seconds(queued), _seconds(sent)) for queued, sent in rows if sent is not None]


def spread(values: list[float]) -> str:
    return f"p50 {median(values):.2f}  p99 {percentile(values, 0.99):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=["sqlite"], choices=["sqlite", "pg1", "pg3"])
    args = parser.parse_args()
    for setup in pick(args.only):
        with (
            tempfile.TemporaryDirectory() as tmp,
            world(setup, Path(tmp), intake.PARTNERS, intake.DEFAULT_WAVES, intake.BOT_PACE) as (
                fanout,
                servers,
            ),
        ):
            time.sleep(1.0)  # start-up work out of the way
            intake.throughput(fanout, servers, 8, 100)  # warm-up: caches, connections
            slack = fanout.slack
            assert slack is not None
            for burst in range(1, BURSTS + 1):
                before = [len(slack.bot_message_times(channel(k))) for k in range(intake.BURST)]
                leads = [intake.lead_for(next(intake._numbers), k) for k in range(intake.BURST)]
                posted = intake.post_many(servers[:1], leads, len(leads))
                started, answered = posted.started, posted.answered
                wait_until(
                    "every teaser of the burst",
                    lambda before=before, slack=slack: all(
                        len(slack.bot_message_times(channel(k))) > before[k]
                        for k in range(intake.BURST)
                    ),
                    120,
                )
                times = teaser_times(fanout.database_url, intake.BURST)
                print(
                    f"{setup.label}, burst {burst}/{BURSTS} of {intake.BURST}:  "
                    f"answered {spread(answered)}  |  "
                    f"queued {spread([q - started for q, _ in times])}  |  "
                    f"sent {spread([s - started for _, s in times])}  |  "
                    f"sent - queued {spread([s - q for q, s in times])}"
                )


if __name__ == "__main__":
    main()
