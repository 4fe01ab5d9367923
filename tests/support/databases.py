"""Fresh, migrated databases for tests — SQLite files and real PostgreSQL databases.

Migrations run once per test session into a template; each test gets a copy (a file copy
for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), which is fast and isolated.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg

from bot.migrate import upgrade

PG_HOST = os.environ.get("LEADBOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("LEADBOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("LEADBOT_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("LEADBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def backends() -> list[str]:
    return [b for b in os.environ.get("LEADBOT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pg_url(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


class PostgresDatabases:
    def __init__(self) -> None:
        self.template = f"lb_tpl_{uuid.uuid4().hex[:12]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.template}"')
        upgrade(pg_url(self.template))

    def create(self) -> str:
        name = f"lb_{uuid.uuid4().hex[:16]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)


class SqliteDatabases:
    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        upgrade(f"sqlite:///{self.template}")

    def create(self, directory: Path) -> str:
        target = directory / f"leadbot-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
