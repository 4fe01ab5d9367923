"""A warning logged while a command runs reads like the command's own lines.

Commands other than ``serve`` configure no log: a warning leadbot or a library logged on
the way (Redis not answering during ``leads import``) reached stderr bare, through
Python's last-resort handler — beside ``leadbot: warning: …`` lines — and without the
server log's redaction of secrets.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import leadbot_process, load_demo
from tests.support.factories import lead_payload
from tests.support.redisproc import free_port


def test_a_logged_warning_is_a_leadbot_warning_line_without_secrets(
    database_url: str, tmp_path: Path
) -> None:
    config = load_demo(database_url, tmp_path)
    leads = tmp_path / "more.json"
    leads.write_text(json.dumps([lead_payload(external_id="warn-1")]), encoding="utf-8")
    nowhere = f"redis://:sekret-redis-pass@127.0.0.1:{free_port()}/0"  # nobody listens

    done = leadbot_process(
        "leads", "import", str(leads), config=config, env={"LEADBOT_REDIS__URL": nowhere}
    )
    assert done.returncode == 0, done.stderr
    assert "1 lead: 1 new" in done.stdout
    lines = done.stderr.splitlines()
    assert any(line.startswith("leadbot: warning: redis is not answering") for line in lines), (
        done.stderr
    )
    assert all(line.startswith("leadbot: ") for line in lines if line.strip()), done.stderr
    assert "sekret-redis-pass" not in done.stderr
