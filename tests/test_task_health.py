"""What ``/healthz`` says about the background tasks of a real ``leadbot serve``.

The tasks catch their own expected errors and retry at the next pass, so the supervisor
never saw one fail: during a database outage ``/healthz`` said ``database: down`` and every
task ``ok`` while each of their passes failed. PostgreSQL is reached through a TCP proxy
(tests/support/tcpproxy.py) that freezes the connections, as in tests/test_database_stall.py.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.databases import backends
from tests.support.fanout import fanout_world
from tests.support.tcpproxy import TcpProxy

WAIT_SECONDS = 40.0

needs_postgres = pytest.mark.skipif(
    "postgresql" not in backends(), reason="PostgreSQL is not among LEADBOT_TEST_BACKENDS"
)


def wait_for(condition: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    """``condition()`` once it is truthy; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds} s")


def parts(http: httpx.Client) -> dict[str, dict[str, Any]]:
    parts: dict[str, dict[str, Any]] = http.get("/healthz").json()["parts"]
    return parts


@needs_postgres
def test_tasks_whose_passes_fail_in_an_outage_show_failing_then_ok_again(
    proxied_pg: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    proxy, url = proxied_pg
    with (
        fanout_world(url, tmp_path, 1, telegram=False) as world,
        world.serving() as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        wait_for(lambda: parts(http).get("task:sender", {}).get("state") == "ok")

        proxy.freeze()

        def failing() -> dict[str, dict[str, Any]] | None:
            now = parts(http)
            tasks = (now.get("task:sender", {}), now.get("task:scheduler", {}))
            return now if all(t.get("detail", "").startswith("failing") for t in tasks) else None

        during = wait_for(failing)
        assert during["database"]["state"] == "down"
        sender, scheduler = during["task:sender"], during["task:scheduler"]
        assert sender["state"] == scheduler["state"] == "degraded"
        assert sender["detail"].startswith("failing (slack): ")  # the platform's worker
        for task in (sender, scheduler):
            assert "in a row (last: " in task["detail"]  # the error's type, no message
            assert task["since"]  # since the first failed pass
            for secret in ("postgresql://", "127.0.0.1", str(proxy.port)):
                assert secret not in task["detail"]

        proxy.thaw()

        def recovered() -> dict[str, dict[str, Any]] | None:
            now = parts(http)
            tasks = (now["task:sender"], now["task:scheduler"], now["database"])
            return now if all(t["state"] == "ok" for t in tasks) else None

        after = wait_for(recovered)
        assert after["task:sender"]["detail"] == after["task:scheduler"]["detail"] == "running"
        assert http.get("/healthz").status_code == 200


def test_every_background_task_reports_its_passes_in_healthz(
    database_url: str, tmp_path: Path
) -> None:
    """Every task a real server runs says when a pass last worked, so one that is stuck (no
    pass within its due time) shows in ``/healthz``; only the sender, the scheduler and the
    pollers used to report, the rest counted as running whatever they did."""
    with (
        fanout_world(database_url, tmp_path, 1, telegram=True) as world,
        world.serving() as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):

        def all_reported() -> dict[str, dict[str, Any]] | None:
            tasks = {k: v for k, v in parts(http).items() if k.startswith("task:")}
            return tasks if all(t.get("last_pass") for t in tasks.values()) else None

        tasks = wait_for(all_reported)
    assert {"task:sender", "task:scheduler", "task:content", "task:slack-presses"} <= set(tasks)
    assert all(t["state"] == "ok" for t in tasks.values()), tasks


DOCS = Path(__file__).parent.parent / "docs" / "directory-and-intake.md"
DEGRADED_EXAMPLE = "<!-- degraded /healthz: tests/test_task_health.py -->"


def docs_degraded_example() -> dict[str, Any]:
    """The degraded ``/healthz`` answer docs/directory-and-intake.md shows, as JSON."""
    text = DOCS.read_text(encoding="utf-8").split(DEGRADED_EXAMPLE, 1)[1]
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    body = block.split("\n", 1)[1]  # after the curl line
    found: dict[str, Any] = json.loads(body)
    return found


def as_documented(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` with what differs from run to run (times, ports) as the docs write it."""
    for part in answer["parts"].values():
        for key in ("since", "last_pass"):
            if part.get(key):
                part[key] = "..."
    return answer


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_degraded_healthz_example_in_the_docs_is_what_such_an_instance_answers(
    database_url: str, tmp_path: Path
) -> None:
    """An instance with Slack (Events API) and Telegram (long polling) whose Redis is down:
    the docs show its whole answer, every part, as it is."""
    settings = {
        "telegram": {"mode": "polling"},
        "redis": {"url": f"redis://127.0.0.1:{closed_port()}/0"},
    }
    with (
        fanout_world(database_url, tmp_path, 1, settings=settings) as world,
        world.serving() as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):

        def settled() -> dict[str, Any] | None:
            answer: dict[str, Any] = http.get("/healthz").json()
            tasks = [v for k, v in answer["parts"].items() if k.startswith("task:")]
            ready = "redis" in answer["parts"] and "telegram:polling" in answer["parts"]
            return answer if ready and all(t.get("last_pass") for t in tasks) else None

        answer = as_documented(wait_for(settled))
    print(json.dumps(answer, separators=(",", ":")))  # to paste into the docs when it changes
    documented = docs_degraded_example()
    assert documented["status"] == answer["status"] == "degraded"
    assert documented["parts"] == answer["parts"]
    assert documented["checks"]["redis"] == answer["checks"]["redis"]
    assert documented["checks"]["database"].keys() == answer["checks"]["database"].keys()
