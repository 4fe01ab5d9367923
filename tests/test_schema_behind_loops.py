"""The background loops when the database falls behind the code under a running server.

An operator downgrades the database (or restores an older backup) while ``serve`` runs.
The outbox sender used to take the missing column for an outage on SQLite ("not
answering" every pass) and, on PostgreSQL, for a notice it could not read: an attempt
counted per pass, on its way to being given up. Now it says once what to do, waits without
counting anything, and delivers the queued notices by itself after ``leadbot migrate``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable

import httpx
import pytest
from alembic import command

from bot import supervisor
from bot.actors import Actor
from bot.clock import ManualClock
from bot.delivery.notices import TeaserView
from bot.delivery.sender import OutboxSender
from bot.health import State
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.migrate import alembic_config, current_revision
from bot.models import Channel, Platform
from bot.runtime import Runtime
from bot.schema import head
from bot.web.api import create_app
from tests.cockpit.test_error_pages import _shown
from tests.conftest import SettingsFactory
from tests.emulators.smtp import SmtpServer
from tests.support.botserver import running_bot
from tests.support.cli import leadbot
from tests.support.cockpit_session import sign_in
from tests.support.email_world import Browser
from tests.support.factories import add_partner, lead_payload
from tests.support.migrations import sql_rows
from tests.support.recording import RecordingTransport
from tests.support.serveproc import Server, serve
from tests.test_email_channel import INBOX, email_settings, mail_only_partner, post_lead

NO_PAUSE_CAUSE = "0011"
"""Before ``partners.pause_cause``: reading a teaser's partner meets the missing column."""
WAIT_SECONDS = 20.0


async def until(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the process logged at WARNING and above."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_the_sender_waits_for_migrate_without_counting_attempts_then_delivers(
    runtime: Runtime, database_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        await uow.commit()
    queued = sql_rows(database_url, "SELECT count(*) FROM outbox WHERE status = 'pending'")
    assert queued[0][0] >= 1
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), NO_PAUSE_CAUSE)
    runtime.schema.poll_seconds = 0.2

    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    tasks = supervisor.start(
        [supervisor.named("sender", sender.run_forever)], runtime.health, runtime.schema
    )
    try:
        said = (
            f"the database is at revision {NO_PAUSE_CAUSE}, this leadbot needs {head()}: "
            "run `leadbot migrate`; background work waits for it and carries on by itself"
        )
        assert await until(lambda: said in _said(caplog)), _said(caplog)
        await asyncio.sleep(1.0)  # several polls of the waiting sender
        reports = runtime.health.reports()
        assert reports["database"].state is State.DOWN
        assert reports["database"].detail == (
            f"schema revision {NO_PAUSE_CAUSE}, this leadbot needs {head()}: run `leadbot migrate`"
        )
        assert reports["task:sender"].state is State.DEGRADED
        assert (
            reports["task:sender"].detail
            == f"waiting for `leadbot migrate`: {reports['database'].detail}"
        )
        assert _said(caplog) == [said]  # one line; no outage, no traceback, no retry
        assert transport.deliveries == []
        # In a thread: the sender's tasks run on this loop and must be able to end a write
        # transaction while this (synchronous) read waits for SQLite's lock.
        assert await asyncio.to_thread(
            sql_rows,
            database_url,
            "SELECT count(*) FROM outbox WHERE attempts > 0 OR status != 'pending'",
        ) == [(0,)]

        await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
        assert current_revision(database_url) == head()
        clock.advance(seconds=runtime.settings.outbox.lock_seconds + 1)  # the claim's lease

        def teased() -> bool:
            return any(isinstance(d.view, TeaserView) for d in transport.to("partner:P1"))

        assert await until(teased), "the queued teaser never went out after the migration"
        assert await until(lambda: runtime.health.reports()["task:sender"].state is State.OK)
        assert runtime.health.reports()["database"].state is State.OK
        assert f"the database is at revision {head()} now; background work carries on" in [
            r.getMessage() for r in caplog.records
        ]
        assert _said(caplog) == [said]
        failed = "SELECT count(*) FROM outbox WHERE status = 'failed'"
        assert await asyncio.to_thread(sql_rows, database_url, failed) == [(0,)]
    finally:
        await supervisor.stop(tasks)


async def test_the_cockpit_says_the_database_needs_migrate_in_the_readers_language(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str
) -> None:
    settings = make_settings(
        cockpit={"secret": "a-test-secret-of-some-length"}, staff={"language": "en"}
    )
    runtime = Runtime.create(settings, clock=clock)
    try:
        async with runtime.uow() as uow:
            await add_partner(uow, "P1")
            lead = await receive(
                uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API)
            )
            await uow.commit()
        sql_rows(database_url, "UPDATE leads SET owner_partner_id = 'P1'")  # as if P1 claimed it
        page = f"/cockpit/leads/{lead.lead_id}"  # shows the owner: reads the partner
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
            await sign_in(http, runtime)
            await asyncio.to_thread(command.downgrade, alembic_config(database_url), NO_PAUSE_CAUSE)
            english = await http.get(page)
            german = await http.get(page, headers={"Accept-Language": "de-DE"})
            await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
            working = await http.get(page)
    finally:
        await runtime.close()

    for page in (english, german):
        assert page.status_code == 503, page.text[:300]
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"] == "5"
        assert "Traceback" not in page.text
    assert _shown(english) == (
        "en",
        "Not available right now · leadbot cockpit",
        [
            "Not available right now",
            f"The database is not migrated for this version of leadbot (schema revision "
            f"{NO_PAUSE_CAUSE}, this version needs {head()}). Whoever runs leadbot has to run "
            "`leadbot migrate`; the cockpit works again right after, without a restart.",
        ],
    )
    assert _shown(german) == (
        "de",
        "Gerade nicht erreichbar · leadbot-Cockpit",
        [
            "Gerade nicht erreichbar",
            f"Die Datenbank ist für diese leadbot-Version nicht migriert (Schema-Revision "
            f"{NO_PAUSE_CAUSE}, diese Version braucht {head()}). Wer leadbot betreibt, muss "
            "`leadbot migrate` ausführen; danach funktioniert das Cockpit sofort wieder, ohne "
            "Neustart.",
        ],
    )
    assert working.status_code == 200, working.text[:300]


async def test_an_email_link_page_says_the_database_needs_migrate_and_works_after(
    make_settings: SettingsFactory, smtp_server: SmtpServer, database_url: str
) -> None:
    """A rep opens the mail's Claim link; the database is taken back before the rep sends
    the form: a page in the browser's language (German here) says so, and the same link
    claims the lead once ``leadbot migrate`` ran."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        page = await browser.open((await smtp_server.wait_for_mail(INBOX)).links()[0])
        await asyncio.to_thread(command.downgrade, alembic_config(database_url), NO_PAUSE_CAUSE)
        refused = await browser.submit(page, rep="Anna Albers")
        await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
        claimed = await browser.submit(page, rep="Anna Albers")
        await browser.close()
    assert refused.status == 503, refused.html[:300]
    assert (
        "Die Datenbank von leadbot muss erst auf den Stand dieser Version gebracht werden "
        "(der Betreiber führt `leadbot migrate` aus). Bitte öffnen Sie den Link später noch "
        "einmal." in refused.text
    )
    assert claimed.status == 200 and f"Lead #{lead_id}" in claimed.text


NO_LEASES = "0008"
"""Before the database leases: the scheduler's every pass meets the missing table."""


def _waited_for(server: Server, text: str, seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in server.output:
            return True
        time.sleep(0.2)
    return text in server.output


def test_a_running_server_says_once_that_its_loops_wait_for_migrate_and_they_carry_on(
    database_url: str,
) -> None:
    """``leadbot serve`` itself, its database taken back under it: one line in the log,
    ``/healthz`` names the waiting task, and after ``leadbot migrate`` all carries on."""
    env = {"LEADBOT_CONSOLE__ENABLED": "false"}
    with serve(database_url, **env) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz", timeout=30).json()["status"] == "ok"
        command.downgrade(alembic_config(database_url), NO_LEASES)  # under the running server
        said = (
            f"the database is at revision {NO_LEASES}, this leadbot needs {head()}: run "
            "`leadbot migrate`; background work waits for it and carries on by itself"
        )
        assert _waited_for(server, said), server.output
        time.sleep(6)  # more than a scheduler pass (5 s): it waits, it does not retry
        health = http.get("/healthz", timeout=30)
        waiting = server.output

        migrated = leadbot(database_url, "migrate")
        assert migrated.exit_code == 0, migrated.output
        carried_on = f"the database is at revision {head()} now; background work carries on"
        assert _waited_for(server, carried_on), server.output
        healthy = http.get("/healthz", timeout=30)
        assert server.stop(signal.SIGTERM) == 0

    assert waiting.count("leadbot migrate") == 1, waiting
    assert "not answering" not in waiting
    assert "failed" not in waiting
    assert health.status_code == 503, health.text
    parts = health.json()["parts"]
    detail = f"schema revision {NO_LEASES}, this leadbot needs {head()}: run `leadbot migrate`"
    assert parts["database"]["state"] == "down"
    assert parts["database"]["detail"] == detail
    assert parts["task:scheduler"]["state"] == "degraded"
    assert parts["task:scheduler"]["detail"] == f"waiting for `leadbot migrate`: {detail}"
    assert healthy.status_code == 200, healthy.text
    scheduler = healthy.json()["parts"]["task:scheduler"]
    assert scheduler == {
        "state": "ok",
        "detail": "running",
        "since": scheduler["since"],
        "last_pass": scheduler["last_pass"],
    }
