"""`printf '…' | make run` — the new user's first experience, exactly as the README shows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """\
as maximilian.huber@alpen-it.example
teasers
claim 1
as sophie.brandl@alpen-it.example
claim 1
as jan.schmitz@rheinland-netzwerk.example
claim 1
as maximilian.huber@alpen-it.example
contacted 1 called, meeting next week
quit
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_shows_teaser_claim_refusals_and_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    env["LEADBOT_DATABASE__URL"] = f"sqlite:///{tmp_path / 'leadbot.db'}"
    proc = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=REPO,
        input=SCRIPT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "20 partners: 20 new" in out and "10 leads: 10 new" in out
    # the teaser in Alpen-IT's channel, with a Claim hint and no company name
    teaser = out[out.index("[channel P-DE-001]") :]
    assert "★ Neuer Lead" in teaser and "claim 1" in teaser
    assert "Bergbrauerei" not in teaser.split("maximilian.huber@alpen-it.example> claim 1")[0]
    # the claim, then the full lead by direct message
    assert "✔ Lead #1 gehört Ihnen!" in out
    assert "■ Lead #1: Bergbrauerei Wallner GmbH" in out
    # a colleague is too late, another partner was never offered it
    assert "✖ Maximilian Huber aus Ihrem Team hat Lead #1 bereits übernommen." in out
    assert "✖ Dieser Lead wurde Ihrem Unternehmen nicht angeboten." in out
    # the status update, confirmed and shown on the card
    assert "✔ Lead #1: kontaktiert." in out
    assert "[kontaktiert]" in out
    assert proc.stderr.strip() == ""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_readme_demo_shows_the_same_when_run_twice(tmp_path: Path) -> None:
    """``make run`` starts from a fresh demo database each time (no stale claims)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    demo = tmp_path / "demo.db"

    def run() -> str:
        proc = subprocess.run(
            ["make", "--no-print-directory", "run", f"DEMO_DB={demo}"],
            cwd=REPO,
            input=SCRIPT,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        # Times move between runs (offers are open until "now + the waves").
        return re.sub(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", "<time>", proc.stdout)

    first, second = run(), run()
    assert first == second
    assert "✔ Lead #1 gehört Ihnen!" in second and "Database migrated from empty" in second
