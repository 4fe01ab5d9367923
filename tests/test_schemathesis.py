"""A bounded schemathesis run over ``/openapi.json`` against the real assembled bot.

The issue's probe, kept as a test: schemathesis (its CLI, as an integrator would run it)
generates requests from the published OpenAPI document — the examples, the coverage
phase's boundary and negative cases, and property-based fuzzing of valid and invalid
bodies — and sends them over HTTP to ``running_bot`` on SQLite and on PostgreSQL. Every
answer must be no server error, conform to the documented status codes, content types
and response schemas, and a schema-valid lead must be accepted (``positive_data_acceptance``:
the document states every rule the server enforces).

Deterministic (``--generation-deterministic``: the same requests on every run, no example
database written) and bounded (``--max-examples``), so it takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from tests.support.botserver import running_bot
from tests.support.logs import assert_clean_log, capture_like_serve

TOKEN = "schemathesis-token-31c7"
PRODUCTS = [  # as in bot.toml, so the shipped sales-content library loads
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud", "min_certification": "basic"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)
MAX_EXAMPLES = 300
# 410 Gone joins the statuses a schema-valid request may get, like 404 and 409 by default:
# it depends on the server's state, not on the request (the run erases leads with DELETE,
# and the same external_id is then refused for good, as the document says).
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]
"""
RUN_TIMEOUT = 600  # a hang guard: ~10 s idle, minutes on a busy 2-core machine


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    make_settings, caplog, tmp_path: Path
) -> None:
    settings = make_settings(
        server={"api_token": TOKEN},
        products=PRODUCTS,
        console={"enabled": False},
        outbox={"poll_seconds": 0.2},
    )
    capture_like_serve(caplog)
    (tmp_path / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")  # read from the cwd
    async with running_bot(settings, nodelay=True) as bot:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{bot.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing",
            "--mode",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-deterministic",
            "--workers",
            "1",
            "--no-color",
            "--output-truncate",
            "true",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    report = output.decode(errors="replace")
    figures = re.search(r"(\d+) generated, (\d+) passed", report)
    assert process.returncode == 0 and figures is not None, report
    generated, passed = map(int, figures.groups())
    assert generated == passed and generated > 500, report
    # POST, GET and DELETE /api/leads, GET and DELETE /api/leads/{lead_id}, /healthz, /metrics
    assert "Tested: 7" in report, report
    print(f"schemathesis: {generated} requests generated, 0 failures")  # shown with -s
    # The bot logged no body, no token and no traceback while it was probed.
    assert_clean_log(caplog, TOKEN)
