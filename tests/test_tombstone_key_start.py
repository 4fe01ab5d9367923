"""The tombstone key where a process starts and where it records the key.

``leadbot console`` started with another key (or none) and only its ``erase`` refused,
after the session's other work; now it refuses at its start as ``serve`` does. The
warning that a key recorded over existing tombstones could not be verified was logged
before the transaction recording the key committed, so an erasure that then failed left
a log line about a key that was never recorded. The other paths: tests/test_tombstone_key.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from bot.models import LeadStatus, TombstoneKey
from tests.support.cli import config_file, db_session, leadbot, leadbot_process
from tests.test_tombstone_key import (
    ENV,
    KEY_A,
    KEY_B,
    NO_KEY,
    UNVERIFIED,
    A,
    B,
    _erase,
    _import,
    _leads_file,
    _stored,
    _two_leads,
)


def _recorded_keys(database_url: str) -> int:
    with db_session(database_url) as session:
        return session.scalar(select(func.count()).select_from(TombstoneKey)) or 0


def _console(database_url: str, tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """``leadbot console`` as staff start it, typing ``quit``."""
    config = config_file(tmp_path, database_url)
    done = leadbot_process("console", config=config, stdin="quit\n", env=env)
    return done.returncode, done.stdout, done.stderr


def test_console_with_another_key_or_none_does_not_start(database_url: str, tmp_path: Path) -> None:
    assert _import(database_url, _leads_file(tmp_path, *_two_leads()), A).exit_code == 0
    [(first, _, _), _], _, _ = _stored(database_url)
    assert _erase(database_url, first, A).exit_code == 0  # key A recorded
    before = _stored(database_url)

    for env, says in ((B, f"{ENV} is not the tombstone key"), (NO_KEY, f"{ENV} is not set")):
        code, out, err = _console(database_url, tmp_path, env)
        assert code == 1, err
        assert err.startswith(f"leadbot: not starting: {says}"), err
        assert "Every leadbot process (serve and each command) needs the same key" in err
        assert out == ""  # no session: nothing to type into
        assert KEY_A not in err and KEY_B not in err
    assert _stored(database_url) == before

    code, out, err = _console(database_url, tmp_path, A)  # the database's key: it starts
    assert code == 0, err
    assert "not starting" not in err
    assert out  # its greeting, then goodbye


def test_console_records_no_key_at_its_start(database_url: str, tmp_path: Path) -> None:
    """It checks only: the first erasure records the key, as in every process."""
    code, _out, err = _console(database_url, tmp_path, A)
    assert code == 0, err
    assert _recorded_keys(database_url) == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a lock to wait on
def test_the_unverified_key_warning_is_logged_only_once_the_key_is_stored(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An erasure with key A over tombstones made before any key was recorded records A and
    warns that A could not be verified against them. Here it fails after recording the
    key: another connection (a maintenance job) holds a lock on the personal data it must
    delete, and the server cancels the wait. Nothing was recorded, so nothing is said; the
    erasure that succeeds later records the key and warns, once."""
    assert _import(database_url, _leads_file(tmp_path, *_two_leads()), NO_KEY).exit_code == 0
    [(first, _, _), (second, _, _)], _, _ = _stored(database_url)
    assert _erase(database_url, first, NO_KEY).exit_code == 0  # 2 tombstones, no key
    before = _stored(database_url)
    assert before[2] == 2 and _recorded_keys(database_url) == 0

    def erase_with_key_a() -> tuple[int, list[logging.LogRecord]]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.crm.tombstones"):
            erased = leadbot(
                database_url,
                "erase",
                "--yes",
                str(second),
                LEADBOT_DATABASE__STATEMENT_TIMEOUT_SECONDS="1",
                **A,
            )
        return erased.exit_code, [r for r in caplog.records if r.name == "bot.crm.tombstones"]

    with psycopg.connect(database_url) as holder:
        holder.execute("LOCK TABLE lead_personal_data IN SHARE MODE")  # reads pass, writes wait
        code, warnings = erase_with_key_a()
        holder.rollback()
    assert code == 1
    assert warnings == []  # it was logged here, for a key that was never stored
    assert _recorded_keys(database_url) == 0
    assert _stored(database_url) == before  # the erasure rolled back whole

    code, warnings = erase_with_key_a()
    assert code == 0
    [warning] = warnings
    assert UNVERIFIED in warning.getMessage() and KEY_A not in warning.getMessage()
    assert _recorded_keys(database_url) == 1
    assert _stored(database_url)[0][1] == (second, LeadStatus.ERASED, None)
