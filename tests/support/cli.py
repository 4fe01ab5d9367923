"""Running the ``leadbot`` command in-process, and reading the database it wrote, synchronously.

The import commands run their own event loop (``asyncio.run``), so tests that drive them
are plain functions; they inspect the result with a synchronous session on the same URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from bot.cli import main
from bot.db import create_engine_sync

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "bot.toml"
EXAMPLES = REPO / "examples"


def leadbot(database_url: str, *args: str, **env: str) -> Result:
    """``leadbot --config bot.toml ARGS`` against ``database_url``; env as LEADBOT_* keys."""
    # Settings refuse unknown LEADBOT_* variables, and the test run has some of its own
    # (LEADBOT_TEST_BACKENDS): the command sees only the ones the test gives.
    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LEADBOT_")}
    environ.update({"LEADBOT_DATABASE__URL": database_url, **env})
    return CliRunner().invoke(
        main, ["--config", str(CONFIG), *args], env=environ, catch_exceptions=False
    )


@contextmanager
def db_session(database_url: str) -> Iterator[Session]:
    engine = create_engine_sync(database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
