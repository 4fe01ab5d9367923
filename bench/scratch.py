"""A throw-away database for one benchmark run: a SQLite file in a directory, or a
PostgreSQL database on the machine's server, dropped afterwards whatever happened."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)


@contextmanager
def scratch_database(backend: str, directory: Path, prefix: str) -> Iterator[str]:
    """The URL of an empty database of ``backend`` (``sqlite`` or ``postgresql``)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
