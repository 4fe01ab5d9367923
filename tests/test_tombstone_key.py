"""One tombstone key per database: a process with another key (or none) refuses.

Tombstones are keyed hashes (``LEADBOT_SERVER__TOMBSTONE_KEY``). A process with another key
computes other hashes and finds none of them: ``leads import`` from a shell without the
server's key took an erased lead in again, personal data and all ("1 new"). Now the
database records the key's fingerprint and every path that needs the tombstones refuses
with another key — the import, ``erase``, ``serve`` at its start, and the API of a server
that was already running — changing nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.models import Lead, LeadPersonalData, LeadStatus, LeadTombstone, TombstoneKey
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import INTAKE_AUTH, SettingsFactory
from tests.support.cli import CONFIG, db_session, leadbot
from tests.support.factories import lead_payload
from tests.support.serveproc import serve
from tests.test_intake_batches import (
    HANG_GUARD_SECONDS,
    database_held,
    post_queued,
    transactions,
    until,
)
from tests.test_intake_batches import lead as batch_lead

ENV = "LEADBOT_SERVER__TOMBSTONE_KEY"
KEY_A = "tombstone-key-A-7f3c9e21d4b8a650"
KEY_B = "tombstone-key-B-0c2d84e6f19b3a77"
A = {ENV: KEY_A}
B = {ENV: KEY_B}
NO_KEY: dict[str, str] = {}
TOKEN = "tomb-token-33ad"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _leads_file(tmp_path: Path, *payloads: dict[str, object]) -> Path:
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(list(payloads) or [lead_payload()]), encoding="utf-8")
    return path


def _two_leads() -> tuple[dict[str, object], dict[str, object]]:
    return lead_payload(), lead_payload(
        external_id="crm-2002",
        **{"company.domain": "kessler.example", "contact.email": "frank@kessler.example"},
    )


def _import(database_url: str, file: Path, env: dict[str, str], *args: str) -> Result:
    return leadbot(database_url, "leads", "import", str(file), *args, **env)


def _erase(database_url: str, lead_id: int, env: dict[str, str]) -> Result:
    return leadbot(database_url, "erase", "--yes", str(lead_id), **env)


def _stored(database_url: str) -> tuple[list[tuple[int, LeadStatus, str | None]], int, int]:
    """(every lead's id, status and external_id; personal-data rows; tombstones)."""
    with db_session(database_url) as session:
        leads = session.execute(select(Lead.id, Lead.status, Lead.external_id).order_by(Lead.id))
        personal = session.scalar(select(func.count()).select_from(LeadPersonalData))
        tombstones = session.scalar(select(func.count()).select_from(LeadTombstone))
        return [tuple(row) for row in leads], personal or 0, tombstones or 0  # type: ignore[misc]


def _assert_refused(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert f"{ENV} is not" in result.stderr
    assert "erased leads" in result.stderr
    assert "Every leadbot process (serve and each command) needs the same key" in result.stderr
    for key in (KEY_A, KEY_B):
        assert key not in result.output


def test_an_import_with_another_key_or_none_is_refused_and_stores_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """The reviewer's case: erased with the server's key A, imported again from a shell
    with key B or with no key — refused; with key A — skipped, as before."""
    file = _leads_file(tmp_path)
    assert _import(database_url, file, A).exit_code == 0
    [(lead_id, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, lead_id, A).exit_code == 0
    erased = _stored(database_url)
    assert erased == ([(lead_id, LeadStatus.ERASED, None)], 0, 2)

    for env in (B, NO_KEY):
        refused = _import(database_url, file, env)
        _assert_refused(refused)
        assert "Nothing was imported." in refused.stderr
        assert "new" not in refused.stdout
        _assert_refused(_import(database_url, file, env, "--dry-run"))
        assert _stored(database_url) == erased  # nothing came back

    skipped = _import(database_url, file, A)
    assert skipped.exit_code == 0, skipped.output
    assert f"external_id 'crm-1001' belonged to lead {lead_id}" in skipped.stderr
    assert "1 lead: 1 skipped" in skipped.stdout
    assert _stored(database_url) == erased
    assert KEY_A not in skipped.output


def test_an_erasure_with_another_key_or_none_is_refused(database_url: str, tmp_path: Path) -> None:
    """Tombstones made with another key would be missed by the server: the erasure is
    refused and changes nothing (the lead keeps its data until it is erased properly)."""
    assert _import(database_url, _leads_file(tmp_path, *_two_leads()), A).exit_code == 0
    [(first, _, _), (second, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, first, A).exit_code == 0
    before = _stored(database_url)
    assert before[1:] == (1, 2)

    for env in (B, NO_KEY):
        refused = _erase(database_url, second, env)
        _assert_refused(refused)
        assert "Nothing was changed." in refused.stderr
        assert _stored(database_url) == before

    assert _erase(database_url, second, A).exit_code == 0
    assert _stored(database_url)[1:] == (0, 4)


def test_a_key_set_later_keeps_the_earlier_tombstones_and_is_then_required(
    database_url: str, tmp_path: Path
) -> None:
    """Before a key is recorded any key is accepted: tombstones made without a key (the
    built-in one) still keep their lead out once a key is set, and from then on that key
    is needed — a shell without it would miss the new tombstones."""
    file = _leads_file(tmp_path, *_two_leads())
    assert _import(database_url, file, NO_KEY).exit_code == 0
    [(first, _, _), (second, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, first, NO_KEY).exit_code == 0  # the built-in key

    with_key = _import(database_url, file, A)  # the key is set now
    assert with_key.exit_code == 0, with_key.output
    assert f"belonged to lead {first}" in with_key.stderr  # found under the built-in key
    assert "2 leads: 1 already known, 1 skipped" in with_key.stdout
    assert _erase(database_url, second, A).exit_code == 0
    erased = _stored(database_url)
    assert erased[1:] == (0, 4)

    _assert_refused(_import(database_url, file, NO_KEY))
    _assert_refused(_import(database_url, file, B))
    assert _stored(database_url) == erased


def test_the_first_process_with_a_key_records_it(database_url: str, tmp_path: Path) -> None:
    """Recorded at its first use, before any lead is erased: otherwise a shell with key B
    could erase while the server with key A runs, and A would never find B's tombstones."""
    file = _leads_file(tmp_path)
    assert _import(database_url, file, A, "--dry-run").exit_code == 0  # a dry run records none
    with db_session(database_url) as session:
        assert session.scalar(select(func.count()).select_from(TombstoneKey)) == 0
    assert _import(database_url, file, A).exit_code == 0
    with db_session(database_url) as session:
        [fingerprint] = session.scalars(select(TombstoneKey.fingerprint)).all()
    assert KEY_A not in fingerprint and len(fingerprint) == 64
    _assert_refused(_import(database_url, file, B))
    assert _import(database_url, file, A).exit_code == 0


def test_check_and_a_deliberate_reset_of_the_key(database_url: str, tmp_path: Path) -> None:
    """``tombstones check`` says whether a shell has the key; ``tombstones reset-key``
    replaces a lost key on purpose, and says what that costs."""
    file = _leads_file(tmp_path)
    fresh = leadbot(database_url, "tombstones", "check", **A)
    assert fresh.exit_code == 0 and "No tombstone key recorded yet" in fresh.stdout
    assert _import(database_url, file, A).exit_code == 0
    [(lead_id, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, lead_id, A).exit_code == 0

    fits = leadbot(database_url, "tombstones", "check", **A)
    assert fits.exit_code == 0 and "The tombstone key fits" in fits.stdout
    assert "2 tombstones" in fits.stdout
    _assert_refused(leadbot(database_url, "tombstones", "check", **B))
    _assert_refused(leadbot(database_url, "tombstones", "check"))

    asked = leadbot(database_url, "tombstones", "reset-key", **B)  # no answer: not reset
    assert asked.exit_code == 1 and "can come back" in asked.output
    _assert_refused(leadbot(database_url, "tombstones", "check", **B))

    reset = leadbot(database_url, "tombstones", "reset-key", "--yes", **B)
    assert reset.exit_code == 0, reset.output
    assert KEY_B not in reset.output
    assert leadbot(database_url, "tombstones", "check", **B).exit_code == 0
    _assert_refused(_import(database_url, file, A))
    assert _stored(database_url)[0] == [(lead_id, LeadStatus.ERASED, None)]


UNVERIFIED = "could not be verified against the 2 tombstones of erased leads made before"


def _tombstones_without_a_recorded_key(database_url: str, tmp_path: Path) -> Path:
    """An upgraded database: two tombstones (of one erased lead), no key recorded. Made
    without a key here; which key made them is unknown either way."""
    file = _leads_file(tmp_path)
    assert _import(database_url, file, NO_KEY).exit_code == 0
    [(lead_id, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, lead_id, NO_KEY).exit_code == 0
    with db_session(database_url) as session:
        assert session.scalar(select(func.count()).select_from(TombstoneKey)) == 0
    assert _stored(database_url)[2] == 2
    return file


def test_check_cannot_vouch_for_a_key_over_tombstones_it_cannot_verify(
    database_url: str, tmp_path: Path
) -> None:
    """No key recorded but tombstones there (a database upgraded to 0011): a key — even a
    mistyped one — cannot be tested against them (one-way hashes of values that are gone),
    so ``check`` says so instead of "this key would do"."""
    _tombstones_without_a_recorded_key(database_url, tmp_path)
    checked = leadbot(database_url, "tombstones", "check", **B)
    assert checked.exit_code == 0, checked.output
    assert "would do" not in checked.stdout
    assert (
        f"No tombstone key recorded yet, and this {ENV} cannot be verified against the 2 "
        "tombstones of erased leads already here" in checked.stdout
    )
    assert "Use the key your leadbot processes used before" in checked.stdout
    assert KEY_B not in checked.output


def test_serve_recording_its_key_over_existing_tombstones_warns(
    database_url: str, tmp_path: Path
) -> None:
    """The first process to record its key over tombstones warns that it could not verify
    it against them: ``serve`` among its start-up warnings (and in its log); a later start
    with the recorded key has nothing to warn about."""
    _tombstones_without_a_recorded_key(database_url, tmp_path)
    with serve(database_url, LEADBOT_SERVER__API_TOKEN=TOKEN, **A) as server:
        code = server.stop(2)
    assert code == 0, server.output
    assert f"leadbot: warning: {ENV} is now recorded as this database's tombstone key, " in (
        server.output
    )
    assert UNVERIFIED in server.output
    assert "WARNING bot.crm.tombstones:" in server.output  # the log line
    assert "`leadbot tombstones reset-key`" in server.output
    assert KEY_A not in server.output
    fits = leadbot(database_url, "tombstones", "check", **A)
    assert fits.exit_code == 0 and "The tombstone key fits" in fits.stdout
    # The check vouches for the key, not for the tombstones it could never test it against.
    assert "2 of them were made before the key was recorded (" in fits.stdout
    assert "could not be verified against it" in fits.stdout

    with serve(database_url, LEADBOT_SERVER__API_TOKEN=TOKEN, **A) as again:
        assert again.stop(2) == 0
    assert "verified" not in again.output


def test_an_import_recording_its_key_over_existing_tombstones_warns(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Any process that records the key warns (here ``leads import``); over no tombstones
    there is nothing it could not verify, and nothing is said."""
    file = _tombstones_without_a_recorded_key(database_url, tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.crm.tombstones"):
        imported = _import(database_url, file, A)
    assert imported.exit_code == 0, imported.output
    [warning] = [r for r in caplog.records if r.name == "bot.crm.tombstones"]
    assert warning.levelno == logging.WARNING and UNVERIFIED in warning.getMessage()
    assert KEY_A not in warning.getMessage()


def test_recording_a_key_over_no_tombstones_says_nothing(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.crm.tombstones"):
        assert _import(database_url, _leads_file(tmp_path), A).exit_code == 0
    assert not [r for r in caplog.records if r.name == "bot.crm.tombstones"]


def _serve_briefly(database_url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``leadbot serve`` that must refuse to start (a timeout fails the test)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    environ.update(LEADBOT_DATABASE__URL=database_url, LEADBOT_SERVER__API_TOKEN=TOKEN, **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(CONFIG), "serve", "--port", "0"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_with_another_key_or_none_does_not_start(database_url: str, tmp_path: Path) -> None:
    assert _import(database_url, _leads_file(tmp_path), A).exit_code == 0
    [(lead_id, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, lead_id, A).exit_code == 0

    for env in (B, NO_KEY):
        refused = _serve_briefly(database_url, env)
        assert refused.returncode == 1, refused.stderr
        assert f"leadbot: not starting: {ENV} is not" in refused.stderr
        assert "serving on" not in refused.stderr and "Traceback" not in refused.stderr
        assert KEY_A not in refused.stderr and KEY_B not in refused.stderr

    with serve(database_url, LEADBOT_SERVER__API_TOKEN=TOKEN, **A) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            again = http.post("/api/leads", json=lead_payload(), headers=AUTH)
        code = server.stop(2)  # SIGINT
    assert again.status_code == 410, again.text
    assert code == 0, server.output
    assert KEY_A not in server.output


@pytest.fixture
async def keyless_client(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a server that started without a key (none was recorded then)."""
    runtime = Runtime.create(make_settings(server={"api_token": TOKEN}), clock=clock)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        yield http
    await runtime.close()


async def test_a_running_server_refuses_once_another_process_recorded_its_key(
    keyless_client: httpx.AsyncClient, database_url: str
) -> None:
    """A server started before any key was recorded cannot have checked it at its start:
    its intake and erasure find out in the statements they run anyway (``503``, nothing
    stored) instead of taking in the lead that ``leadbot erase`` with a key just erased."""
    created = await keyless_client.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    second = lead_payload(external_id="crm-2002", **{"contact.email": "frank@kessler.example"})
    other_id = (await keyless_client.post("/api/leads", json=second, headers=AUTH)).json()["id"]
    erased = await asyncio.to_thread(_erase, database_url, lead_id, A)
    assert erased.exit_code == 0, erased.output
    before = _stored(database_url)

    again = await keyless_client.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert again.status_code == 503, again.text
    assert "tombstone key" in again.json()["detail"] and KEY_A not in again.text
    others = [
        lead_payload(external_id=f"crm-30{n}", **{"contact.email": f"x{n}@other{n}.example"})
        for n in range(3)
    ]  # together, perhaps in one batch: test_leads_stored_together_are_refused_too makes sure
    answers = await asyncio.gather(
        *(keyless_client.post("/api/leads", json=body, headers=AUTH) for body in others)
    )
    assert [a.status_code for a in answers] == [503, 503, 503]
    looked_up = await keyless_client.get(
        "/api/leads", params={"external_id": "crm-1001"}, headers=AUTH
    )
    assert looked_up.status_code == 503
    not_erased = await keyless_client.delete(f"/api/leads/{other_id}", headers=AUTH)
    assert not_erased.status_code == 503  # its tombstones would be made with another key
    assert _stored(database_url) == before


def _metric(text: str, sample: str) -> float:
    [value] = [line.split()[-1] for line in text.splitlines() if line.startswith(sample + " ")]
    return float(value)


async def test_a_key_that_stops_fitting_shows_in_healthz_and_metrics(
    keyless_client: httpx.AsyncClient, database_url: str
) -> None:
    """The running server cannot take or erase leads once its key does not fit: /healthz
    says so (part ``tombstone_key`` down, 503) until the key fits again, and /metrics
    counts each refused request as ``key_mismatch`` — POST, GET and DELETE alike."""
    healthy = await keyless_client.get("/healthz")
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["parts"]["tombstone_key"]["state"] == "ok"
    created = await keyless_client.post("/api/leads", json=lead_payload(), headers=AUTH)
    lead_id = created.json()["id"]

    recorded = await asyncio.to_thread(
        leadbot, database_url, "tombstones", "reset-key", "--yes", **A
    )
    assert recorded.exit_code == 0, recorded.output
    down = await keyless_client.get("/healthz")  # before any request met the mismatch
    assert down.status_code == 503, down.text
    assert down.json()["status"] == "unavailable"
    assert down.json()["parts"]["tombstone_key"]["state"] == "down"
    assert down.json()["parts"]["tombstone_key"]["detail"] == f"{ENV} does not fit the database"
    assert down.json()["checks"]["database"]["ok"] is True
    assert (await keyless_client.head("/healthz")).status_code == 503

    refused = [
        await keyless_client.post("/api/leads", json=lead_payload(), headers=AUTH),
        await keyless_client.get("/api/leads", params={"external_id": "crm-9"}, headers=AUTH),
        await keyless_client.delete(f"/api/leads/{lead_id}", headers=AUTH),
    ]
    assert [r.status_code for r in refused] == [503, 503, 503]  # GET: not stored; erased?
    assert all("retry-after" not in r.headers for r in refused)  # retrying does not help
    metrics = (await keyless_client.get("/metrics")).text
    assert _metric(metrics, 'leadbot_api_leads_total{result="key_mismatch"}') == 1
    assert _metric(metrics, 'leadbot_api_leads_total{result="error"}') == 0
    assert _metric(metrics, 'leadbot_api_crm_total{result="key_mismatch"}') == 2

    # The key fits again (here: none recorded any more): healthy again, intake works.
    cleared = await asyncio.to_thread(leadbot, database_url, "tombstones", "reset-key", "--yes")
    assert cleared.exit_code == 0, cleared.output
    again = await keyless_client.get("/healthz")
    assert again.status_code == 200, again.text
    assert again.json()["parts"]["tombstone_key"]["state"] == "ok"
    second = lead_payload(external_id="crm-2002", **{"contact.email": "frank@kessler.example"})
    assert (await keyless_client.post("/api/leads", json=second, headers=AUTH)).status_code == 201


def _intake_held(settings: Settings) -> AbstractAsyncContextManager[None]:
    """Another connection keeps every intake transaction waiting until the block ends: on
    SQLite the write lock, on PostgreSQL ``tombstone_key`` (intake's first statement
    reads it)."""
    return database_held(settings, "LOCK TABLE tombstone_key IN ACCESS EXCLUSIVE MODE")


async def test_leads_stored_together_are_refused_too(
    busy_runtime: Runtime, database_url: str
) -> None:
    """Leads that queued while the database was busy are stored in one transaction and
    looked up together (``KnownMany``, not each alone): that look-up asks for the key too,
    and refuses the whole batch. /metrics shows they were one transaction."""
    recorded = await asyncio.to_thread(
        leadbot, database_url, "tombstones", "reset-key", "--yes", **A
    )
    assert recorded.exit_code == 0, recorded.output
    transport = httpx.ASGITransport(app=create_app(busy_runtime))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http,
        asyncio.timeout(HANG_GUARD_SECONDS),
    ):
        slots = busy_runtime.intake.size
        before = await transactions(http)
        async with _intake_held(busy_runtime.settings):
            fillers = [  # one alone in each slot, waiting: the others queue behind them
                asyncio.create_task(
                    http.post("/api/leads", json=batch_lead(900 + n), headers=INTAKE_AUTH)
                )
                for n in range(slots)
            ]
            await until(lambda: busy_runtime.intake.transactions == before + slots)
            queued = await post_queued(http, busy_runtime, [batch_lead(n) for n in range(3)])
        answers = await asyncio.gather(*fillers, *queued)
        together = await transactions(http) - before - slots
    assert together == 1  # the three leads in one transaction: the batched look-up
    assert [a.status_code for a in answers] == [503] * (slots + 3)
    assert all("tombstone key" in a.json()["detail"] for a in answers)
    assert _stored(database_url) == ([], 0, 0)
