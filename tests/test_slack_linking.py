"""Reps linked to Slack by their e-mail (``users.lookupByEmail``): at ``leadbot reps import``
and when ``leadbot serve`` starts. Every rep's result is reported; nothing is guessed."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.models import Rep
from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.support.botserver import running_bot
from tests.support.cli import EXAMPLES, db_session, leadbot
from tests.support.slack_world import slack_settings
from tests.support.world import eventually

REPS = """partner_id,name,email,slack_user_id,telegram_user_id,role,language
P-DE-001,Anna Albers,anna@alpen-it.example,,,sales,de
P-DE-001,Bert Brandt,bert@alpen-it.example,,,manager,de
P-DE-001,Carla Claas,carla@alpen-it.example,UCARLA001,,sales,de
"""


def _slack_env(emulator: Any) -> dict[str, str]:
    return {
        "LEADBOT_SLACK__ENABLED": "true",
        "LEADBOT_SLACK__API_URL": emulator.api_url,
        "LEADBOT_SLACK__BOT_TOKEN": SLACK_TOKEN,
        "LEADBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "LEADBOT_CONSOLE__ENABLED": "false",
    }


def _linked(database_url: str) -> dict[str, str | None]:
    with db_session(database_url) as session:
        return {r.email: r.slack_user_id for r in session.scalars(select(Rep))}


async def test_reps_import_links_the_reps_slack_knows_and_reports_the_others(
    database_url: str, slack_emulator: Any, tmp_path: Path
) -> None:
    slack_emulator.add_user("UANNA0001", email="Anna@Alpen-IT.example")
    slack_emulator.add_user("UCARLA001", email="carla@alpen-it.example")
    reps = tmp_path / "reps.csv"
    reps.write_text(REPS, encoding="utf-8")
    env = _slack_env(slack_emulator)
    for step in (("migrate",), ("partners", "import", str(EXAMPLES / "partners.csv"))):
        assert (await asyncio.to_thread(leadbot, database_url, *step)).exit_code == 0
    result = await asyncio.to_thread(leadbot, database_url, "reps", "import", str(reps), **env)
    assert result.exit_code == 0, result.output
    assert "slack: anna@alpen-it.example: linked → UANNA0001" in result.output
    assert "slack: bert@alpen-it.example: not found" in result.output
    assert "carla" not in result.output  # already linked: not asked
    assert _linked(database_url) == {
        "anna@alpen-it.example": "UANNA0001",
        "bert@alpen-it.example": None,
        "carla@alpen-it.example": "UCARLA001",
    }


async def test_without_the_scope_every_rep_is_reported_and_none_is_linked(
    database_url: str, slack_emulator: Any, tmp_path: Path
) -> None:
    slack_emulator.add_user("UANNA0001", email="anna@alpen-it.example")
    slack_emulator.state.scopes.discard("users:read.email")
    reps = tmp_path / "reps.csv"
    reps.write_text(REPS, encoding="utf-8")
    for step in (("migrate",), ("partners", "import", str(EXAMPLES / "partners.csv"))):
        assert (await asyncio.to_thread(leadbot, database_url, *step)).exit_code == 0
    env = _slack_env(slack_emulator)
    result = await asyncio.to_thread(leadbot, database_url, "reps", "import", str(reps), **env)
    assert result.exit_code == 0, result.output
    for email in ("anna@alpen-it.example", "bert@alpen-it.example"):
        assert f"slack: {email}: no permission (missing_scope" in result.output
    assert _linked(database_url)["anna@alpen-it.example"] is None
    calls = slack_emulator.calls("users.lookupByEmail")
    assert len(calls) == 1  # asked once, not once per rep


async def test_serve_links_reps_by_e_mail_at_start(
    make_settings: Any, slack_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The next start links Bert; the log says how it went by rep id — never an e-mail
    address (the log holds no personal data; ``leadbot reps import`` names them)."""
    from tests.support.factories import add_partner, add_rep

    slack_emulator.add_user("UBERT0001", email="bert@p1.example")
    settings = slack_settings(make_settings, slack_emulator)
    async with running_bot(settings) as bot, bot.runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "bert@p1.example")
        await add_rep(uow, "P1", "nobody@p1.example")
        await uow.commit()
    caplog.set_level(logging.INFO, logger="bot.handlers.slack")
    async with running_bot(settings) as bot:  # the next start finds and links Bert

        async def linked() -> str | None:
            async with bot.runtime.uow() as uow:
                return await uow.session.scalar(
                    select(Rep.slack_user_id).where(Rep.email == "bert@p1.example")
                )

        assert await eventually(linked, what="Bert linked at start") == "UBERT0001"

        def logged() -> str | None:
            lines = [
                r.getMessage() for r in caplog.records if "looked up by e-mail" in r.getMessage()
            ]
            return lines[0] if lines else None

        said = await eventually(logged, what="the lookup logged")
        async with bot.runtime.uow() as uow:
            nobody = await uow.session.scalar(
                select(Rep.id).where(Rep.email == "nobody@p1.example")
            )
        assert said == f"slack: reps looked up by e-mail: 1 linked; not found: rep {nobody}"
        assert "@" not in caplog.text
