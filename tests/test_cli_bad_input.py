"""Mistakes on the command line get one clear line naming what is wrong, and change nothing.

Each case here once printed a Python traceback (or, worse, did something else than asked):
a lead number beyond 64 bits, a ``--since`` time without a UTC equivalent, a platform
name that matched nothing (or, empty, every platform), a database that cannot be reached.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage, OutboxStatus
from tests.support.cli import db_session, leadbot

TOO_BIG = "99999999999999999999"  # beyond 2**63 - 1, the largest id either database stores


@pytest.mark.parametrize(
    "args",
    [
        ("explain", TOO_BIG),
        ("erase", "--yes", TOO_BIG),
        ("leads", "assign", TOO_BIG, "P1"),
        ("leads", "recall", TOO_BIG),
        ("leads", "release", TOO_BIG),
        ("leads", "reoffer", TOO_BIG),
        ("explain", "0"),
    ],
)
def test_a_lead_number_out_of_range_is_refused_naming_the_argument(
    database_url: str, args: tuple[str, ...]
) -> None:
    result = leadbot(database_url, *args)
    assert result.exit_code == 2
    assert "Invalid value for 'LEAD'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "typed", "after"),
    [
        (("explain",), "abc", ()),
        (("erase", "--yes"), "1.5", ()),
        (("leads", "assign"), "#7", ("P1",)),
        (("leads", "recall"), "seven", ()),
        (("leads", "release"), "", ()),
        (("leads", "reoffer"), "x1", ()),
    ],
)
def test_a_lead_number_that_is_no_number_is_refused_saying_what_to_give(
    database_url: str, command: tuple[str, ...], typed: str, after: tuple[str, ...]
) -> None:
    """click's own words were "'abc' is not a valid integer range": neither a lead nor
    what to type."""
    result = leadbot(database_url, *command, typed, *after)
    assert result.exit_code == 2
    assert (
        f"Invalid value for 'LEAD': {typed!r} is not a lead number: give the lead's id, "
        "a whole number such as 17." in result.stderr
    )
    assert "integer range" not in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("explain", "--limit", "x", "1"), "'--limit': 'x' is not a whole number (0 or more)."),
        (
            ("explain", "--limit", "-1", "1"),
            "'--limit': -1 is out of range: give a whole number 0 or more.",
        ),
        (
            ("reps", "invite", "--hours", "0", "rep@example.com"),
            "'--hours': 0 is out of range: give a whole number from 1 to 2160.",
        ),
        (
            ("serve", "--port", "99999"),
            "'--port': 99999 is out of range: give a whole number from 0 to 65535.",
        ),
    ],
)
def test_a_bad_number_option_is_refused_saying_what_to_give(
    database_url: str, args: tuple[str, ...], said: str
) -> None:
    """click's own words were "'x' is not a valid integer range" and "-1 is not in the
    range x>=0"."""
    result = leadbot(database_url, *args)
    assert result.exit_code == 2
    assert f"Invalid value for {said}" in result.stderr, result.stderr
    assert "integer range" not in result.output and "x>=" not in result.output


def test_a_bad_since_is_named_like_every_other_bad_option(database_url: str) -> None:
    """As click names an option (``Invalid value for '--port': …``), and as the README shows."""
    result = leadbot(database_url, "webhooks", "replay", "--since", "gestern")
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--since': 'gestern' is not an ISO date or time "
        "(e.g. 2026-03-01 or 2026-03-01T10:00:00Z)" in result.stderr
    ), result.stderr


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31T23:59:59-01:00"])
def test_a_since_time_without_a_utc_equivalent_is_refused(database_url: str, since: str) -> None:
    result = leadbot(database_url, "webhooks", "replay", "--since", since)
    assert result.exit_code == 2
    assert "--since" in result.stderr and "between 0001-01-01" in result.stderr


@pytest.mark.parametrize("platform", ["nope", ""])
def test_outbox_retry_refuses_an_unknown_platform_and_changes_nothing(
    database_url: str, platform: str
) -> None:
    with db_session(database_url) as session:
        session.add(
            OutboxMessage(
                platform="console",
                address="staff",
                kind="staff",
                payload={"event": "erased", "params": {}},
                status=OutboxStatus.FAILED,
                last_error="channel_not_found",
            )
        )
        session.commit()
    result = leadbot(database_url, "outbox", "retry", "--platform", platform)
    assert result.exit_code == 2
    assert "'--platform'" in result.stderr and "console" in result.stderr
    with db_session(database_url) as session:
        assert session.scalars(select(OutboxMessage.status)).all() == [OutboxStatus.FAILED]
    retried = leadbot(database_url, "outbox", "retry", "--platform", "console")
    assert "1 failed notice(s) queued again." in retried.output


@pytest.mark.parametrize(
    "args", [("report",), ("outbox", "status"), ("erase", "--yes", "1"), ("explain", "1")]
)
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://leaduser:S3cretPassw0rd@127.0.0.1:1/leads",  # refused
        "postgresql://leaduser:S3cretPassw0rd@no-such-host.invalid/leads",  # not resolved
    ],
)
def test_an_unreachable_database_is_one_line_without_the_password(
    url: str, args: tuple[str, ...]
) -> None:
    result = leadbot(url, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("leadbot: cannot reach the database: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "S3cretPassw0rd" not in result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://leaduser:S3cretPassw0rd@127.0.0.1:1/leads", "Connection refused"),
        ("postgresql://root:S3cretPassw0rd@127.0.0.1:5432/no_such_db", '"no_such_db"'),
        ("sqlite:////no/such/directory/leads.db", "unable to open database file"),
    ],
)
def test_migrate_says_in_one_line_why_it_cannot_use_the_database(url: str, says: str) -> None:
    result = leadbot(url, "migrate")
    assert result.exit_code == 1
    assert result.stderr.startswith("leadbot: cannot migrate the database: ")
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # no SQL, no "Background on this error"
    assert "S3cretPassw0rd" not in result.output


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error: ")]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("report", "--from", "2026-02-30", "--to", "someday"),
            [
                "Invalid value for '--from': '2026-02-30' is not a date; use YYYY-MM-DD",
                "Invalid value for '--to': 'someday' is not a date; use YYYY-MM-DD",
            ],
        ),
        (
            ("webhooks", "replay", "--since", "gestern", "--endpoint", "erp"),
            [
                "Invalid value for '--since': 'gestern' is not an ISO date or time "
                "(e.g. 2026-03-01 or 2026-03-01T10:00:00Z)",
                "Invalid value for '--endpoint': no webhook named 'erp' (known: none configured)",
            ],
        ),
        (
            ("webhooks", "replay", "--endpoint", "erp"),
            [
                "Invalid value for '--endpoint': no webhook named 'erp' (known: none configured)",
                "Missing option '--since'.",
            ],
        ),
        (
            ("explain", "--limit", "x", "0"),
            [
                "Invalid value for '--limit': 'x' is not a whole number (0 or more).",
                f"Invalid value for 'LEAD': 0 is not a lead number: lead ids are whole numbers "
                f"from 1 to {2**63 - 1}.",
            ],
        ),
        (
            ("serve", "--port", "99999", "--log-level", "loud"),
            [
                "Invalid value for '--port': 99999 is out of range: give a whole number from 0 "
                "to 65535.",
                "Invalid value for '--log-level': 'loud' is not one of 'debug', 'info', "
                "'warning', 'error'.",
            ],
        ),
    ],
    ids=["report", "webhooks-replay", "replay-without-since", "explain", "serve"],
)
def test_every_bad_value_of_a_command_line_is_named_at_once(
    database_url: str, args: tuple[str, ...], said: list[str]
) -> None:
    """click stopped at the first bad value: the user fixed it, ran the command again, and
    only then learnt of the next one. Now one usage error (exit status 2) names each, in
    the order they were typed, under one usage line; nothing runs."""
    result = leadbot(database_url, *args)
    assert result.exit_code == 2, result.output
    assert _errors(result.stderr) == [f"Error: {line}" for line in said], result.stderr
    assert result.stderr.count("Usage: ") == 1
    assert result.stdout == ""
