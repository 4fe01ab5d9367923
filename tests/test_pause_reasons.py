"""What staff read about a pause nobody explained — in their own language.

A pause without a typed reason stored an English sentence ("paused by cli", "missed the
claim SLA 3 times") that German ``explain`` showed as it was. Now leadbot stores who
paused, or the missed deadlines, and ``explain`` says it in the reader's language — in
``leadbot explain`` and in the console's ``explain``. A reason a person typed is shown as
typed; ``--json`` keeps the English words in ``params.reason``, and adds the cause as data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import leadbot, leadbot_process, load_demo

ENGLISH = {"LEADBOT_STAFF__LANGUAGE": "en"}


def _active_row(out: str) -> str:
    """The ``active`` filter's row of ``explain … --partner``: ``✗ aktiv   Partner ist …``."""
    [row] = [line for line in out.splitlines() if re.match(r"\s+[✓✗] (aktiv|active) ", line)]
    return " ".join(row.split()[2:])


def test_leadbot_explain_says_who_paused_in_the_staff_language(
    database_url: str, tmp_path: Path
) -> None:
    load_demo(database_url, tmp_path)
    assert leadbot(database_url, "partners", "pause", "P-DE-001").exit_code == 0
    typed = leadbot(database_url, "partners", "pause", "P-DE-002", "--reason", "Messe in Köln")
    assert typed.exit_code == 0, typed.output

    def explain(partner: str, **env: str) -> str:
        result = leadbot(database_url, "explain", "1", "--partner", partner, **env)
        assert result.exit_code == 0, result.output
        return _active_row(result.output)

    assert explain("P-DE-001") == "Partner ist pausiert (von Mitarbeitenden)"
    assert explain("P-DE-001", **ENGLISH) == "partner is paused (paused by staff)"
    assert explain("P-DE-002") == "Partner ist pausiert (Messe in Köln)"  # as typed
    assert explain("P-DE-002", **ENGLISH) == "partner is paused (Messe in Köln)"

    summary = leadbot(database_url, "explain", "1").output
    assert re.search(
        r"\n  P-DE-001 .+  aktiv: Partner ist pausiert \(von Mitarbeitenden\)\n", summary
    )
    assert "paused by" not in summary

    # --json: the English words as before, and the cause as data any language can say.
    data = json.loads(leadbot(database_url, "explain", "1", "--json").output)
    [alpen] = [p for p in data["explanation"]["ineligible"] if p["partner_id"] == "P-DE-001"]
    [active] = [c for c in alpen["checks"] if c["name"] == "active"]
    assert active["detail"] == "partner is paused (paused by staff)"
    assert active["key"] == "paused"
    assert active["params"] == {
        "until": None,
        "reason": "paused by staff",
        "cause": {"key": "paused_by", "by": None},
    }
    [rhein] = [p for p in data["explanation"]["ineligible"] if p["partner_id"] == "P-DE-002"]
    [typed_check] = [c for c in rhein["checks"] if c["name"] == "active"]
    assert typed_check["params"]["reason"] == "Messe in Köln"
    assert typed_check["params"]["cause"] is None


CONSOLE_SCRIPT = "\n".join(
    (
        "as maximilian.huber@alpen-it.example",  # Alpen-IT claims lead 1 …
        "claim 1",
        "wait 25h",  # … and misses the first-contact deadline: recalled, and paused
        "as hauke.petersen@hanse-datentechnik.example",  # a manager: away, no reason
        "away",
        "as staff",
        "explain 1 P-DE-001",
        "explain 1 P-DE-003",
        "quit",
    )
)


def _console_rows(out: str) -> list[str]:
    """The ``active`` rows of the two explanations the script asks for, in order."""
    return [
        _active_row(part)
        for part in re.split(r"\n\S+> explain ", out)[1:]
        if re.search(r"[✓✗] (aktiv|active) ", part)
    ]


def test_the_console_says_missed_deadlines_and_who_was_away_in_the_staff_language(
    database_url: str, tmp_path: Path
) -> None:
    """After ``pause_after_sla_misses`` missed deadlines leadbot pauses the partner; a
    manager marks their own partner away. Staff at the console read both in their words."""
    config = load_demo(database_url, tmp_path)
    once = {"LEADBOT_DISTRIBUTION__PAUSE_AFTER_SLA_MISSES": "1"}
    german = leadbot_process("console", config=config, stdin=CONSOLE_SCRIPT, env=once)
    assert german.returncode == 0, german.stderr
    assert "Partner Alpen-IT Systemhaus GmbH pausiert: Frist einmal verpasst." in german.stdout
    assert _console_rows(german.stdout) == [
        "Partner ist pausiert (Frist zur Kontaktaufnahme einmal verpasst)",
        "Partner ist pausiert (von Hauke Petersen)",
    ]
    assert "missed" not in german.stdout and "paused by" not in german.stdout

    resumed = leadbot(database_url, "partners", "resume", "P-DE-003")
    assert resumed.exit_code == 0, resumed.output
    english = leadbot_process(
        "console",
        config=config,
        stdin="as staff\nexplain 1 P-DE-001\nexplain 1 P-DE-003\nquit\n",
        env={**once, **ENGLISH},
    )
    assert english.returncode == 0, english.stderr
    assert _console_rows(english.stdout) == [
        "partner is paused (missed the claim SLA once)",
        "not deactivated, paused or on leave",  # resumed
    ]
