"""Fixtures: every database test runs on SQLite and on the real PostgreSQL server.

Set ``LEADBOT_TEST_BACKENDS=sqlite`` to run only one backend while developing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.runtime import Runtime
from tests.support import loopguard
from tests.support.databases import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    PostgresDatabases,
    SqliteDatabases,
    backends,
    pg_url,
)
from tests.support.factories import add_partner
from tests.support.tcpproxy import TcpProxy, tcp_proxy

pytest_plugins = ["tests.emulators.fixtures"]

loopguard.install()  # a task that ignores its cancellation fails the test, naming the task

SettingsFactory = Callable[..., Settings]


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    databases.close()


@pytest.fixture
def proxied_pg(_pg_databases: PostgresDatabases) -> Iterator[tuple[TcpProxy, str]]:
    """A fresh migrated PostgreSQL database and the URL that reaches it through a proxy."""
    name = _pg_databases.create()
    try:
        with tcp_proxy(PG_HOST, PG_PORT) as proxy:
            yield proxy, f"postgresql://{PG_USER}@127.0.0.1:{proxy.port}/{name}"
    finally:
        _pg_databases.drop(name)


@pytest.fixture(scope="session")
def _sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend.

    A test about one backend only says so with
    ``@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)``."""
    if request.param not in backends():
        pytest.skip(f"{request.param} is not in LEADBOT_TEST_BACKENDS")
    if request.param == "sqlite":
        yield request.getfixturevalue("_sqlite_databases").create(tmp_path)
        return
    pg: PostgresDatabases = request.getfixturevalue("_pg_databases")
    name = pg.create()
    yield pg_url(name)
    pg.drop(name)


@pytest.fixture
def make_settings(database_url: str) -> SettingsFactory:
    """Settings for ``database_url`` with the console on; keyword overrides per section."""

    def make(**sections: dict[str, Any]) -> Settings:
        environ = {"LEADBOT_DATABASE__URL": database_url, "LEADBOT_CONSOLE__ENABLED": "true"}
        settings = load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)
        data = settings.model_dump()
        for section, values in sections.items():
            if isinstance(values, dict) and isinstance(data.get(section), dict):
                data[section].update(values)
            else:
                data[section] = values
        return Settings.model_validate(data)

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        products=[{"id": "X200", "line": "X-series", "min_certification": "basic"}]
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def runtime(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = Runtime.create(settings, clock=clock)
    yield rt
    await rt.close()


INTAKE_TOKEN = "intake-test-token"
INTAKE_AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


@pytest.fixture
async def busy_runtime(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """For many API leads at once: four partners for X200, the API token of
    :data:`INTAKE_AUTH`, and a pool of three on PostgreSQL (shared: few connections, more
    waiting; as many intake slots, ``bot.intake.batches.slots_for``)."""
    settings = make_settings(
        server={"api_token": INTAKE_TOKEN},
        products=[{"id": "X200", "line": "X-series", "min_certification": "basic"}],
        database={"pool_size": 3},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        for n in range(4):
            await add_partner(uow, f"P{n}", products=["X200"])
        await uow.commit()
    yield runtime
    await runtime.close()
