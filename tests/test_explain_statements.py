"""The load ``explain`` and the staff report put on the database does not grow with the
number of partners a lead went to (SQLite and PostgreSQL, through the ``leadbot`` command).

A lead offered to hundreds of partners is normal for an open marketplace wave; a per-partner
look-up in either answer would be hundreds of statements against a database that serves
the claims at the same time. Counted with an engine event (what the database sees), not
timed: timings live in ``bench/explain.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.cli import main
from tests.support.factories import lead_payload
from tests.support.fanout import company, config_toml, write_directory


def _leadbot(config: Path, *args: str) -> str:
    hidden: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LEADBOT_")}
    result = CliRunner().invoke(main, ["--config", str(config), *args], env=hidden)
    assert result.exit_code == 0, result.output
    return result.output


@contextmanager
def _counted() -> Iterator[list[str]]:
    """Every statement any engine of this process sends while the block runs."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _lead_to_everyone(config: Path, tmp_path: Path, partners: int, n: int) -> int:
    """A directory of ``partners`` (all fit, one wave to everyone) and a new lead ``n``."""
    write_directory(tmp_path, partners, slack=False, telegram=False)
    _leadbot(config, "partners", "import", str(tmp_path / "partners.csv"))
    leads = tmp_path / f"lead-{n}.json"
    leads.write_text(json.dumps([lead_payload(**company(n))]), encoding="utf-8")
    _leadbot(config, "leads", "import", str(leads))
    return n  # a fresh database numbers its leads from 1


def test_explain_and_report_statements_do_not_grow_with_the_partners(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(config_toml(database_url, None, None, {}), encoding="utf-8")
    counts: dict[int, tuple[int, int]] = {}
    for lead_id, partners in ((1, 3), (2, 60)):
        _lead_to_everyone(config, tmp_path, partners, lead_id)
        with _counted() as explain:
            shown = _leadbot(config, "explain", str(lead_id), "--limit", "0")
        assert f"{partners} partners checked, {partners} eligible" in shown
        assert shown.count(f"r1 w1 #{partners} open") == 1  # every partner has its offer
        with _counted() as report:
            _leadbot(config, "report")
        counts[partners] = (len(explain), len(report))
    assert counts[60] == counts[3], counts
