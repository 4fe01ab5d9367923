"""``leadbot erase``: personal data gone everywhere, statistics kept."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.actors import Actor
from bot.config import Settings
from bot.delivery.notices import LeadCardView
from bot.delivery.sender import OutboxSender
from bot.directory.snapshot import partner_profiles
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import claim
from bot.leads.locks import lead_for_update
from bot.leads.progress import report_progress
from bot.leads.staff import erase
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, Lead, LeadEvent, LeadPersonalData, LeadStatus, Offer, Platform
from bot.runtime import Runtime
from tests.support.cli import config_file, db_session, leadbot, leadbot_process
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.recording import RecordingTransport


async def test_erase_removes_personal_data_and_replaces_the_card(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    # The system clock, because the erase runs in another process.
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "anna@p1.example")
        lead_id = (
            await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        ).lead_id
        await uow.commit()
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(select(Offer).where(Offer.lead_id == lead_id))
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.flush()
    async with runtime.uow() as uow:
        assert offer is not None
        await claim(uow, offer.id, 1, Platform.CONSOLE)
    async with runtime.uow() as uow:
        await report_progress(
            uow,
            lead_id,
            Actor.rep(Channel.CONSOLE, 1, "P1"),
            Report(StatusAction.CONTACTED, note="Maria prefers mornings"),
        )
    await sender.flush()

    proc = leadbot_process(
        "erase", str(lead_id), "--yes", config=config_file(tmp_path, database_url)
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Lead {lead_id} erased" in proc.stdout

    await sender.flush()
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        personal = await uow.session.get(LeadPersonalData, lead_id)
        details = (
            await uow.session.scalars(select(LeadEvent.detail).where(LeadEvent.lead_id == lead_id))
        ).all()
    assert lead is not None and lead.status is LeadStatus.ERASED and lead.erased_at is not None
    assert lead.products == ["X200"] and lead.industry == "food"  # statistics kept
    assert personal is None
    assert not any("Maria" in str(d) for d in details)
    card = transport.to("rep:1")[-1]
    assert (
        isinstance(card.view, LeadCardView)
        and card.view.lead is None
        and card.view.event == "erased"
    )
    assert card.edit is not None  # the old card (with the details) was replaced in place
    again = leadbot_process(
        "erase", str(lead_id), "--yes", config=config_file(tmp_path, database_url)
    )
    assert again.returncode == 0, again.stderr  # fulfilled, as the CRM API's DELETE says
    assert f"Lead {lead_id} was erased before: nothing left to remove." in again.stdout
    await runtime.close()


async def _someone_waits_for_a_row_lock(database_url: str) -> None:
    """Until another connection to this database waits for a lock (PostgreSQL)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(1200):
        with db_session(database_url) as session:
            if session.scalar(waiting):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("leadbot erase never waited for the lead's lock")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_erasure_committed_while_the_cli_waits_is_a_success(
    settings: Settings, database_url: str
) -> None:
    """``leadbot erase`` beside a CRM ``DELETE`` of the same lead: the CLI waits for the
    lead's lock while the other erasure commits, then finds the lead erased — fulfilled,
    as the ``DELETE`` would answer. It looked for "already erased" before taking the lock
    and failed with "it cannot become erased". (PostgreSQL: on SQLite the two writing
    transactions never overlap.)"""
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        lead_id = (
            await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        ).lead_id
        await uow.commit()
    async with runtime.uow() as uow:
        await lead_for_update(uow.session, lead_id)  # the DELETE has the lead locked
        cli = asyncio.create_task(
            asyncio.to_thread(leadbot, database_url, "erase", "--yes", str(lead_id))
        )
        await _someone_waits_for_a_row_lock(database_url)
        assert await erase(uow, lead_id, Actor.staff(Channel.API, name="api"))  # commits
    result = await cli
    assert result.exit_code == 0, result.output
    assert f"Lead {lead_id} was erased before: nothing left to remove." in result.stdout
    async with runtime.uow() as uow:
        events = (
            await uow.session.scalars(
                select(LeadEvent).where(
                    LeadEvent.lead_id == lead_id, LeadEvent.to_status == LeadStatus.ERASED.value
                )
            )
        ).all()
    assert len(events) == 1  # erased once, by the DELETE
    await runtime.close()


async def test_erase_of_unknown_lead_fails_clearly(database_url: str, tmp_path: Path) -> None:
    proc = leadbot_process("erase", "999", "--yes", config=config_file(tmp_path, database_url))
    assert proc.returncode == 1
    assert "lead 999 does not exist" in proc.stderr


async def _an_offered_lead(runtime: Runtime) -> int:
    """A lead from the API, offered to partner P1: something there is to erase."""
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        lead_id = (
            await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        ).lead_id
        await uow.commit()
    return lead_id


async def test_erase_asks_first_and_a_script_without_yes_erases_nothing(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    """Without --yes, ``leadbot erase`` asks; "n" or no answer at all (a script) erases
    nothing and says so, "y" erases. An unknown or already erased lead is said at once,
    without a question that could only lead to that answer."""
    runtime = Runtime.create(settings)
    lead_id = await _an_offered_lead(runtime)
    config = config_file(tmp_path, database_url)

    async def status() -> LeadStatus:
        async with runtime.uow() as uow:
            return (await uow.session.get_one(Lead, lead_id)).status

    for answer in ("n\n", ""):
        refused = leadbot_process("erase", str(lead_id), config=config, stdin=answer)
        assert refused.returncode == 1, refused.stderr
        assert f"Erase the personal data of lead {lead_id}? This cannot be undone" in (
            refused.stdout
        )
        assert (
            f"leadbot: lead {lead_id} was not erased (not confirmed; in a script, add --yes)"
            in refused.stderr
        )
        assert "Aborted" not in refused.stdout + refused.stderr
        assert await status() is LeadStatus.OFFERED

    unknown = leadbot_process("erase", "999", config=config, stdin="y\n")
    assert unknown.returncode == 1 and "lead 999 does not exist" in unknown.stderr
    assert "Erase the personal data" not in unknown.stdout

    agreed = leadbot_process("erase", str(lead_id), config=config, stdin="y\n")
    assert agreed.returncode == 0, agreed.stderr
    assert f"Lead {lead_id} erased: personal data removed" in agreed.stdout
    assert await status() is LeadStatus.ERASED
    again = leadbot_process("erase", str(lead_id), config=config, stdin="")
    assert again.returncode == 0 and "Erase the personal data" not in again.stdout
    assert f"Lead {lead_id} was erased before: nothing left to remove." in again.stdout
    await runtime.close()


async def test_ctrl_c_at_the_question_is_an_interruption_not_a_no(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    """Ctrl+C while ``erase`` asks ends it as Ctrl+C ends any command (exit status 130,
    ``leadbot: interrupted``) — not as "not confirmed; in a script, add --yes", which is
    advice for someone who is not there. Nothing is erased."""
    runtime = Runtime.create(settings)
    lead_id = await _an_offered_lead(runtime)
    config = config_file(tmp_path, database_url)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a shell has it
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "erase", str(lead_id), "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            cwd=tmp_path,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert process.stdout is not None
    asked = b""
    while b"[y/N]: " not in asked:  # the question is there: the command waits for an answer
        chunk = await asyncio.to_thread(process.stdout.read1, 4096)
        assert chunk, asked
        asked += chunk
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 130, err
    assert err.decode() == "leadbot: interrupted\n"
    async with runtime.uow() as uow:
        assert (await uow.session.get_one(Lead, lead_id)).status is LeadStatus.OFFERED
    await runtime.close()


def test_erase_without_a_database_creates_none(tmp_path: Path) -> None:
    """Asking first must not open (and so create) a SQLite database that is not there."""
    missing = tmp_path / "missing.db"
    proc = leadbot_process(
        "erase", "1", config=config_file(tmp_path, f"sqlite:///{missing}"), stdin=""
    )
    assert proc.returncode != 0 and "Erase the personal data" not in proc.stdout
    assert not missing.exists()


async def test_staff_release_of_held_lead_from_the_cli(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        payload = lead_payload(**{"consent.partner_contact": False})
        lead_id = (
            await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
        ).lead_id
        await uow.commit()
    config = config_file(tmp_path, database_url)
    refused = leadbot_process("leads", "release", str(lead_id), config=config)
    assert refused.returncode == 1 and "no consent" in refused.stderr
    async with runtime.uow() as uow:
        assert (await uow.session.get(Lead, lead_id)).status is LeadStatus.HELD  # type: ignore[union-attr]
    released = leadbot_process("leads", "release", str(lead_id), "--consent", config=config)
    assert released.returncode == 0, released.stderr
    assert f"Lead {lead_id} released: offered." in released.stdout
    twice = leadbot_process("leads", "release", str(lead_id), "--consent", config=config)
    assert twice.returncode == 1  # it said "it cannot become offered"
    assert (
        f"leadbot: lead {lead_id} is not held (it is offered): only a held lead can be released"
        in twice.stderr
    )
    again = leadbot_process("leads", "recall", str(lead_id), config=config)
    assert again.returncode == 1  # it said "it cannot become recalled"
    assert (
        f"leadbot: lead {lead_id} is offered: only a lead a partner has claimed and not "
        "closed can be recalled" in again.stderr
    )
    reoffered = leadbot_process("leads", "reoffer", str(lead_id), config=config)
    assert reoffered.returncode == 1
    assert (
        f"leadbot: lead {lead_id} is offered: only an unmatched or unclaimed lead can be "
        "offered again" in reoffered.stderr
    )
    await runtime.close()


async def _claimed_lead(runtime: Runtime, n: int) -> int:
    """A lead of its own (no duplicate), claimed by P1's rep."""
    payload = lead_payload(
        external_id=f"crm-{n}",
        **{"company.domain": f"firma-{n}.example", "contact.email": f"a@firma-{n}.example"},
    )
    async with runtime.uow() as uow:
        lead_id = (
            await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
        ).lead_id
        await uow.commit()
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(select(Offer).where(Offer.lead_id == lead_id))
        assert offer is not None
        assert (await claim(uow, offer.id, 1, Platform.CONSOLE)).won
    return lead_id


async def _conversion(runtime: Runtime, partner_id: str) -> tuple[int, int]:
    """(won, closed) as matching's conversion score sees the partner."""
    async with runtime.uow() as uow:
        profile = next(p for p in await partner_profiles(uow) if p.id == partner_id)
    return profile.won, profile.closed


async def test_erasing_closed_leads_keeps_the_partners_conversion(runtime: Runtime) -> None:
    """DESIGN §4: erasure keeps the anonymous statistics — the outcomes matching ranks by
    too, as the report keeps them; a lead erased before it closed never counts."""
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "anna@p1.example")
        await uow.commit()
    rep = Actor.rep(Channel.CONSOLE, 1, "P1")
    won = await _claimed_lead(runtime, 1)
    lost = await _claimed_lead(runtime, 2)
    still_open = await _claimed_lead(runtime, 3)
    async with runtime.uow() as uow:
        await report_progress(uow, won, rep, Report(StatusAction.WON, revenue_eur=Decimal(900)))
    async with runtime.uow() as uow:
        await report_progress(uow, lost, rep, Report(StatusAction.LOST, reason="price"))
    assert await _conversion(runtime, "P1") == (1, 2)

    for lead_id in (won, lost, still_open):
        async with runtime.uow() as uow:
            await erase(uow, lead_id, Actor.staff(Channel.CONSOLE, "s1", "staff"))

    assert await _conversion(runtime, "P1") == (1, 2)
