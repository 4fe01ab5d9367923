"""Two SQL expressions the report queries need that SQLite and PostgreSQL spell differently.

Written as SQLAlchemy constructs compiled per dialect, so the queries themselves stay one
piece of SQLAlchemy Core for both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class minutes_between(FunctionElement[float]):
    """``later - earlier`` in minutes (a float)."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _minutes_pg(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 1440.0)"


class week_index(FunctionElement[int]):
    """Whole weeks (7 × 24 h) from ``origin`` (seconds since the epoch) to the timestamp."""

    type = Integer()
    inherit_cache = True
    name = "week_index"


@compiles(week_index)
def _week_pg(element: week_index, compiler: SQLCompiler, **kw: Any) -> str:
    column, origin = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {column}) - {origin}) / 604800.0) AS INTEGER)"


@compiles(week_index, "sqlite")
def _week_sqlite(element: week_index, compiler: SQLCompiler, **kw: Any) -> str:
    # Only timestamps at or after the origin are asked about, so truncation is floor.
    column, origin = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(((julianday({column}) - 2440587.5) * 86400.0 - {origin}) / 604800.0 AS INTEGER)"
