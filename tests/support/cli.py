"""Running the ``leadbot`` command in tests: in-process (CliRunner) or as a real subprocess.

The import commands run their own event loop (``asyncio.run``), so tests that drive them
in-process are plain functions; they inspect the result with a synchronous session on the
same URL. ``leadbot_process`` runs the command exactly as a user would, in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    # The command sees only the LEADBOT_* variables the test gives.
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


def config_file(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    """A minimal settings file for ``database_url`` with the console on."""
    path = tmp_path / "leadbot-test.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n[console]\nenabled = true\n'
        '[[products]]\nid = "X200"\nline = "X-series"\n' + extra,
        encoding="utf-8",
    )
    return path


def load_demo(database_url: str, tmp_path: Path) -> Path:
    """The sample directory and leads loaded into ``database_url`` as `make run` does; the
    demo's ``bot.toml`` for that database (German staff, like the demo)."""
    for step in (
        ("migrate",),
        ("partners", "import", str(EXAMPLES / "partners.csv")),
        ("reps", "import", str(EXAMPLES / "reps.csv")),
        ("leads", "import", str(EXAMPLES / "leads.json")),
    ):
        result = leadbot(database_url, *step)
        assert result.exit_code == 0, result.output
    config = tmp_path / "console.toml"
    original = CONFIG.read_text(encoding="utf-8")
    config.write_text(original.replace('url = "sqlite:///leadbot.db"', f'url = "{database_url}"'))
    return config


def leadbot_process(
    *args: str,
    config: Path,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS --config CONFIG`` in a subprocess, as a user would run it.
    ``stdin`` as bytes is sent as it is (e.g. text that is not UTF-8)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=environ,
        cwd=config.parent,
        timeout=120,
        check=False,
    )
    out, err = (stream.decode("utf-8", "replace") for stream in (done.stdout, done.stderr))
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)
