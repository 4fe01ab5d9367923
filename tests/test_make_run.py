"""`printf '…' | make run` — the new user's first experience, exactly as the README shows it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _readme_demo() -> tuple[str, list[str]]:
    """The README's scripted demo: the console input its ``printf … | make run`` gives, and
    the lines of the transcript excerpt shown under it (``…`` marks what is left out)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w*)\n(.*?)```", readme, flags=re.S)
    [command] = [body for _, body in blocks if body.rstrip().endswith("| make run")]
    printf = command.replace("\\\n", " ").rstrip().removesuffix("| make run")
    script = subprocess.run(["sh", "-c", printf], capture_output=True, text=True, check=True).stdout
    transcript = next(
        body for kind, body in blocks if kind == "text" and "> claim" in body
    ).splitlines()
    return script, [line for line in transcript if line.strip() not in ("", "…")]


def _make_run(demo: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "run", f"DEMO_DB={demo}"],
        cwd=REPO,
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _without_leadbot_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}


def _squeezed(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text.strip())


def test_the_readme_demo_shows_the_exactly_one_claim_as_the_readme_says(tmp_path: Path) -> None:
    script, transcript = _readme_demo()
    proc = _make_run(tmp_path / "demo.db", script, _without_leadbot_settings())
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ""
    assert "20 partners: 20 new" in out and "36 reps: 36 new" in out
    assert "10 leads: 10 new (2 held, 1 unmatched, 7 offered)" in out
    # every line of the README's excerpt is printed as shown
    printed = {_squeezed(line) for line in out.splitlines()}
    for line in transcript:
        assert _squeezed(line) in printed, line
    # the teaser in Alpen-IT's channel names no company
    teasers = out[out.index("maximilian.huber@alpen-it.example> teasers") :]
    assert "Bergbrauerei" not in teasers[: teasers.index("> wait 1h")]
    # wave 2 reaches Frankfurter Systemintegration: its rep claims, with the teaser's number
    assert "[Kanal P-DE-012]\n  ★ Neuer Lead · Welle 2" in out
    assert "Betreut von: Frankfurter Systemintegration AG (Katharina Wolf)" in out
    assert "✔ Lead #1: kontaktiert." in out
    # the first partner is too late: one claim, one owner
    assert out.count("gehört Ihnen!") == 1


@pytest.mark.parametrize("exported", ["database", "everything"])
def test_make_run_never_uses_the_environments_database_or_settings(
    tmp_path: Path, exported: str
) -> None:
    """An operator's exported settings (README "Operations") must not reach the demo: it
    would migrate their database and fill it with the samples, or post to their Slack."""
    production = tmp_path / "production.db"
    with sqlite3.connect(production) as connection:
        connection.execute("CREATE TABLE precious (value TEXT)")
        connection.execute("INSERT INTO precious VALUES ('do not touch')")
    before = hashlib.sha256(production.read_bytes()).hexdigest()
    env = {**_without_leadbot_settings(), "LEADBOT_DATABASE__URL": f"sqlite:///{production}"}
    if exported == "everything":
        config = tmp_path / "production.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{production}"\n\n'
            '[slack]\nenabled = true\napi_url = "http://127.0.0.1:9/api/"\n'
            'staff_channel = "C0STAFF0001"\n',
            encoding="utf-8",
        )
        env |= {
            "LEADBOT_CONFIG": str(config),
            "LEADBOT_SLACK__ENABLED": "true",
            "LEADBOT_SLACK__BOT_TOKEN": "xoxb-not-for-the-demo",
            "LEADBOT_SLACK__SIGNING_SECRET": "not-for-the-demo-either",
        }
    demo = tmp_path / "demo.db"
    proc = _make_run(demo, "quit\n", env)
    assert hashlib.sha256(production.read_bytes()).hexdigest() == before
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ""
    assert "20 partners: 20 new" in proc.stdout
    with sqlite3.connect(demo) as connection:
        assert connection.execute("SELECT count(*) FROM partners").fetchone() == (20,)


def test_the_readme_demo_shows_the_same_when_run_twice(tmp_path: Path) -> None:
    """``make run`` starts from a fresh demo database each time (no stale claims)."""
    script, _ = _readme_demo()
    demo = tmp_path / "demo.db"

    def run() -> str:
        proc = _make_run(demo, script, _without_leadbot_settings())
        assert proc.returncode == 0, proc.stderr
        # Times move between runs (offers are open until "now + the waves").
        out = re.sub(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", "<time>", proc.stdout)
        return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", out)

    first, second = run(), run()
    assert first == second
    assert "✔ Lead #1 gehört Ihnen!" in second and "Database migrated from empty" in second
