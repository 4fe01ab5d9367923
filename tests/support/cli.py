"""Run the real ``leadbot`` command in a subprocess against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def config_file(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    path = tmp_path / "leadbot-test.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n[console]\nenabled = true\n'
        '[[products]]\nid = "X200"\nline = "X-series"\n' + extra,
        encoding="utf-8",
    )
    return path


def leadbot(
    *args: str, config: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        cwd=config.parent,
        timeout=120,
        check=False,
    )
