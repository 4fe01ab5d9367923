"""Two ``leadbot serve`` processes on PostgreSQL keep working while their Redis is away.

The Redis is a ``redis-server`` of the test's own. It is frozen (SIGSTOP: connections stay
open, nothing answers — the nastiest way to be away) while the bots take a lead, decide
two simultaneous claim presses, deliver teasers and fire a claim's SLA timers; then it is
killed and started again on the same port. What an operator and the users see:

- ``POST /api/leads`` answers 201 and the other process shows the lead (``GET``);
- of two presses on the two processes exactly one wins (the database decides);
- teasers reach the Slack emulator; each due timer fires once (one reminder);
- ``/healthz`` answers 200 ``degraded`` naming ``redis``, then ``ok`` once Redis is back.

Every HTTP call has a hang guard of a few seconds; none of them is a speed claim.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.models import Timer, TimerKind
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.slack import SlackEmulator
from tests.support.cli import db_session
from tests.support.databases import PostgresDatabases, backends, pg_url
from tests.support.factories import lead_payload
from tests.support.fanout import API_TOKEN, FanoutWorld, channel, company, fanout_world, rep_user
from tests.support.redisproc import redis_server
from tests.support.serveproc import Server

HANG_GUARD = 5.0
REMINDER = "is waiting for your first contact"

pytestmark = pytest.mark.skipif(
    "postgresql" not in backends(), reason="two processes on PostgreSQL (LEADBOT_TEST_BACKENDS)"
)


@pytest.fixture(params=["postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Only PostgreSQL: the production shape of several processes."""
    pg: PostgresDatabases = request.getfixturevalue("_pg_databases")
    name = pg.create()
    yield pg_url(name)
    pg.drop(name)


def http(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        timeout=HANG_GUARD,
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )


def health(server: Server) -> tuple[int, dict[str, Any]]:
    with http(server) as client:
        response = client.get("/healthz")
    return response.status_code, response.json()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen in {timeout:.0f} s: {what}")
        time.sleep(0.2)


def dms(slack: SlackEmulator, n: int, text: str) -> int:
    """Direct messages to partner ``n``'s rep that contain ``text``."""
    return sum(1 for m in slack.dm_messages(rep_user(n)) if text in m.all_text)


def sla_timers(world: FanoutWorld) -> list[tuple[TimerKind, str | None]]:
    with db_session(world.database_url) as session:
        rows = session.execute(
            select(Timer.kind, Timer.outcome).where(
                Timer.kind.in_([TimerKind.CLAIM_SLA_REMINDER, TimerKind.CLAIM_SLA_RECALL])
            )
        ).all()
    return [(kind, outcome) for kind, outcome in rows]


def test_two_processes_work_through_a_redis_outage(database_url: str, tmp_path: Path) -> None:
    with (
        redis_server() as redis,
        fanout_world(
            database_url,
            tmp_path,
            2,
            telegram=False,
            settings={
                "redis": {"url": redis.url},
                # The claim's reminder is due ~7 s after the claim, the recall ~14 s.
                "distribution": {"claim_sla_hours": 0.004, "reminder_before_recall_hours": 0.002},
                "outbox": {"poll_seconds": 0.5},
            },
        ) as world,
        world.serving() as one,
        world.serving() as two,
    ):
        slack = world.slack
        assert slack is not None
        for server in (one, two):
            status, body = health(server)
            assert (status, body["status"], body["checks"]["redis"]["ok"]) == (200, "ok", True)

        redis.freeze()

        # The lead API tells the truth: stored (201), and the other process shows it.
        with http(one) as client:
            created = client.post("/api/leads", json=lead_payload(**company(1)))
        assert created.status_code == 201, created.text
        lead_id = created.json()["id"]
        with http(two) as client:
            shown = client.get(f"/api/leads/{lead_id}")
        assert shown.status_code == 200 and shown.json()["status"] == "offered"

        # Teasers are delivered (each process paces alone, wakes come by polling).
        slack.wait_for(
            lambda: world.slack_teasers(0) and world.slack_teasers(1), 30, "both teasers"
        )

        # Two presses at the same moment, one on each process: exactly one claim.
        async def press_both() -> list[int]:
            presses = [
                slack.driver(f"{server.url}/slack/events", SLACK_SIGNING_SECRET).press_button(
                    "lead_claim", user=rep_user(n), channel=channel(n)
                )
                for n, server in ((0, one), (1, two))
            ]
            answers = await asyncio.wait_for(asyncio.gather(*presses), HANG_GUARD)
            return [a.status for a in answers]

        assert asyncio.run(press_both()) == [200, 200]
        company_name = "Prospect 1 GmbH"
        slack.wait_for(
            lambda: dms(slack, 0, company_name) + dms(slack, 1, company_name), 30, "a lead card"
        )
        with http(two) as client:
            lead = client.get(f"/api/leads/{lead_id}").json()
        assert lead["status"] == "claimed"
        assert lead["partner"]["id"] in ("P0000", "P0001")
        winner = 0 if lead["partner"]["id"] == "P0000" else 1
        assert (dms(slack, winner, company_name), dms(slack, 1 - winner, company_name)) == (1, 0)

        for server in (one, two):
            status, body = health(server)
            assert (status, body["status"]) == (200, "degraded")
            assert body["checks"]["redis"]["ok"] is False
            assert body["parts"]["redis"]["state"] == "degraded"

        # The claim's SLA timers fire, each once, although both processes run a scheduler.
        wait_until(
            lambda: sorted(outcome or "" for _, outcome in sla_timers(world)) == ["fired"] * 2,
            45,
            "the reminder and the recall fired",
        )
        slack.wait_for(lambda: dms(slack, winner, REMINDER), 15, "the reminder in the rep's DM")
        assert dms(slack, winner, REMINDER) == 1

        # Redis back on the same port: both processes say ok again.
        redis.stop()
        redis.start()
        for server in (one, two):
            wait_until(lambda s=server: health(s)[1]["status"] == "ok", 20, "healthz ok")
            assert health(server)[1]["parts"]["redis"]["state"] == "ok"
        before = len(slack.bot_messages(channel(winner)))
        world.post_lead(two, 2)
        slack.wait_for(
            lambda: len(slack.bot_messages(channel(winner))) > before, 30, "the next teaser"
        )
        for server in (one, two):
            assert server.stop(signal.SIGTERM) == 0
        assert "redis is not answering" in one.output + two.output


def test_redis_back_is_used_again_without_a_false_alarm_from_its_old_connections(
    database_url: str, tmp_path: Path
) -> None:
    """The pooled connections from before a Redis restart are dead. Each used to fail once
    on its first use after Redis came back — "redis is not answering (ConnectionError)",
    part ``redis`` degraded again, up to many seconds later when traffic first needed that
    many connections at once. Now such a failure is retried once on a fresh connection."""
    with (
        redis_server() as redis,
        fanout_world(
            database_url, tmp_path, 1, telegram=False, settings={"redis": {"url": redis.url}}
        ) as world,
        world.serving() as server,
    ):

        async def burst(n: int) -> list[tuple[int, str, str]]:
            """``n`` requests at once (each asks Redis): the pool opens that many connections."""
            async with httpx.AsyncClient(base_url=server.url, timeout=HANG_GUARD) as client:
                answers = await asyncio.gather(*(client.get("/healthz") for _ in range(n)))
            return [
                (a.status_code, a.json()["status"], a.json()["parts"]["redis"]["state"])
                for a in answers
            ]

        assert asyncio.run(burst(12)) == [(200, "ok", "ok")] * 12
        world.post_lead(server, 1)

        redis.stop()
        wait_until(lambda: health(server)[1]["status"] == "degraded", 10, "redis noticed away")
        redis.start()  # the same port; the process's pooled connections are all dead now
        wait_until(lambda: health(server)[1]["status"] == "ok", 10, "redis noticed back")
        alarms = server.output.count("redis is not answering")
        assert alarms == 1

        for n in range(2, 6):  # traffic that needs Redis, many connections at once
            assert asyncio.run(burst(12)) == [(200, "ok", "ok")] * 12
            world.post_lead(server, n)
        assert health(server)[1]["parts"]["redis"]["state"] == "ok"
        assert server.stop(signal.SIGTERM) == 0
    assert server.output.count("redis is not answering") == alarms, server.output
