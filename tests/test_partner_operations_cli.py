"""Partner operations from the command line: ``leadbot partners pause`` / ``resume`` and
``leads assign``, and a bad ``--until`` or ``--reason`` of ``partners pause`` refused as a
usage error that changes nothing. The same from the chats:
tests/test_partner_operations_pause.py and tests/test_partner_operations_assign.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.models import Lead, LeadStatus, OfferStatus
from bot.runtime import Runtime
from tests.support.cli import leadbot
from tests.support.factories import store_lead
from tests.support.partner_ops import directory as _directory
from tests.support.partner_ops import offered_to as _offered_to
from tests.support.partner_ops import ops_settings_for
from tests.support.partner_ops import pause_state as _pause_state


@pytest.fixture
def ops_settings(make_settings: Any) -> Any:
    return ops_settings_for(make_settings)


async def test_cli_pause_resume_and_assign(ops_settings: Any, database_url: str) -> None:
    runtime = Runtime.create(ops_settings)
    await _directory(runtime)
    nowhere = await store_lead(runtime, 1, **{"company.address.country": "CH"})  # nobody serves CH
    async with runtime.uow() as uow:
        stored = await uow.session.get(Lead, nowhere)
        assert stored is not None and stored.status is LeadStatus.UNMATCHED

    def cli(*args: str) -> Any:
        return leadbot(database_url, *args)

    paused = await asyncio.to_thread(cli, "partners", "pause", "P1", "--until", "+3d")
    assert paused.exit_code == 0 and "paused through" in paused.output
    unknown = await asyncio.to_thread(cli, "partners", "pause", "NOPE")
    assert unknown.exit_code == 1 and "no partner with id 'NOPE'" in unknown.output
    resumed = await asyncio.to_thread(cli, "partners", "resume", "P1")
    assert resumed.exit_code == 0 and "gets teasers again" in resumed.output

    assigned = await asyncio.to_thread(cli, "leads", "assign", str(nowhere), "P2")
    assert assigned.exit_code == 0, assigned.output
    assert "warning: P2: lead in CH" in assigned.output  # the filter it fails, as a warning
    assert await _offered_to(runtime, nowhere) == {"P2": OfferStatus.OPEN}
    missing = await asyncio.to_thread(cli, "leads", "assign", "999", "P2")
    assert missing.exit_code == 1 and "lead 999 does not exist" in missing.output
    await runtime.close()


async def test_cli_pause_refuses_a_far_end_and_control_characters_in_the_reason(
    ops_settings: Any, database_url: str
) -> None:
    """A year 9999 end was an OverflowError traceback; a newline in the reason forged a
    line in ``explain``. Both are refused naming what is wrong, and nothing changes.

    A bad reason is a bad value of ``--reason``, like a bad ``--until``: click's usage
    error naming the option (exit status 2), in the words the pause itself uses — it
    exited 1 with the service's ``reason: …``. Checked before the partner is looked up:
    an unknown partner with a bad reason is the usage error too."""
    runtime = Runtime.create(ops_settings)
    await _directory(runtime)

    def cli(*args: str) -> Any:
        return leadbot(database_url, *args)

    far = await asyncio.to_thread(cli, "partners", "pause", "P1", "--until", "9999-12-31")
    assert far.exit_code == 2, far.output
    assert (
        "Invalid value for '--until': the pause's end 9999-12-31 is more than 366 days ahead"
        in far.output
    )
    for partner, reason, says in (
        ("P1", "holiday\nP9: paused by staff", "contains a control character (U+000A)"),
        ("P1", "\x1b[31mred", "contains a control character (U+001B)"),
        ("P9", "bye\x00", "contains a control character (U+0000)"),  # before the lookup
        ("P1", "x" * 201, "at most 200 characters"),
    ):
        refused = await asyncio.to_thread(cli, "partners", "pause", partner, "--reason", reason)
        assert refused.exit_code == 2, refused.output
        assert f"Invalid value for '--reason': {says}" in refused.stderr
        assert "partners pause [OPTIONS] PARTNER_ID" in refused.stderr  # the usage line
    assert await _pause_state(runtime, "P1") == (None, None, None)

    longest = await asyncio.to_thread(cli, "partners", "pause", "P1", "--reason", "x" * 200)
    assert longest.exit_code == 0, longest.output
    assert (await _pause_state(runtime, "P1"))[2] == "x" * 200
    blank = await asyncio.to_thread(cli, "partners", "pause", "P1", "--reason", " \u200b\u2060 ")
    assert blank.exit_code == 0, blank.output  # nothing visible: no reason
    assert (await _pause_state(runtime, "P1"))[2] is None  # explain says who paused instead

    near = await asyncio.to_thread(cli, "partners", "pause", "P1", "--until", "+366d")
    assert near.exit_code == 0, near.output
    await runtime.close()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2020-01-01", "the pause's end 2020-01-01 is in the past"),
        ("1.1.2020", "the pause's end 2020-01-01 is in the past"),
        ("31.02.2026", "not a date: '31.02.2026'"),
        ("next friday", "not a date: 'next friday'"),
    ],
)
async def test_cli_pause_until_in_the_past_is_a_usage_error_like_a_malformed_date(
    ops_settings: Any, database_url: str, typed: str, says: str
) -> None:
    """Both are a bad value of ``--until``: a past date exited 1 (as if refused by the
    database), a malformed one 2. Now both are click's usage error naming the option, as
    for every other bad option value, and nothing changes."""
    runtime = Runtime.create(ops_settings)
    await _directory(runtime)
    refused = await asyncio.to_thread(
        leadbot, database_url, "partners", "pause", "P1", "--until", typed
    )
    assert refused.exit_code == 2, refused.output
    assert f"Invalid value for '--until': {says}" in refused.stderr
    assert await _pause_state(runtime, "P1") == (None, None, None)
    await runtime.close()


async def test_cli_pause_with_a_bad_reason_and_a_bad_until_names_both(
    ops_settings: Any, database_url: str
) -> None:
    """Only the ``--reason`` problem was said; after fixing it the user learnt of the bad
    ``--until`` on the next try. Now one usage error names both (exit status 2), each on its
    own ``Error:`` line, and nothing changes."""
    runtime = Runtime.create(ops_settings)
    await _directory(runtime)
    refused = await asyncio.to_thread(
        leadbot,
        database_url,
        "partners",
        "pause",
        "P1",
        "--reason",
        "holiday\nP9: paused",
        "--until",
        "next friday",
    )
    assert refused.exit_code == 2, refused.output
    errors = [line for line in refused.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: Invalid value for '--reason': contains a control character (U+000A); only "
        "printable text is accepted",
        "Error: Invalid value for '--until': not a date: 'next friday' (use 2026-03-15, "
        "15.03.2026, +3d or tomorrow)",
    ]
    assert "partners pause [OPTIONS] PARTNER_ID" in refused.stderr  # the usage line, once
    assert refused.stderr.count("Usage:") == 1
    assert await _pause_state(runtime, "P1") == (None, None, None)
    await runtime.close()
