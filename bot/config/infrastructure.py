"""Settings of what leadbot runs on: database, Redis, its HTTP server, the outbox sender."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.config.base import Mismatch, Section, http_url_problem, secret_field
from bot.plaintext import quoted


class DatabaseSettings(Section):
    """Where the data lives, and how long leadbot waits for it (docs/configuration.md).

    The timeouts exist so that a stalled or unreachable database gives a quick, clear
    ``503`` instead of requests that hang as long as the stall (docs/database-outages.md).
    """

    url: str = "sqlite:///leadbot.db"
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=500, description="connections kept open")
    max_overflow: int | None = Field(
        default=None, ge=0, le=500, description="extra connections under load; unset: pool_size"
    )
    statement_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=86_400,
        description="PostgreSQL: the server cancels a statement running longer",
    )
    command_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        description="PostgreSQL: leadbot gives up waiting for any answer (a frozen network); "
        "unset: statement_timeout_seconds + 1",
    )
    connect_timeout_seconds: float = Field(
        default=3.0, gt=0, le=600, description="PostgreSQL: opening a connection, login included"
    )
    pool_timeout_seconds: float = Field(
        default=3.0, gt=0, le=600, description="waiting for a free connection of the pool"
    )
    sqlite_busy_timeout_seconds: float = Field(
        default=5.0, ge=0, le=600, description="SQLite: waiting for another writer's lock"
    )

    @model_validator(mode="before")
    @classmethod
    def _common_url_forms(cls, data: Any) -> Any:
        """``postgres://…`` (what many hosts hand out) means ``postgresql://…``."""
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            url = data["url"].strip()
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            data = {**data, "url": url}
        return data

    @property
    def overflow(self) -> int:
        """Connections allowed beyond ``pool_size``: the pool never holds more than the sum."""
        return self.pool_size if self.max_overflow is None else self.max_overflow

    @property
    def command_timeout(self) -> float:
        """The client-side limit: a little above the server's, so that a merely slow
        statement is cancelled cleanly by the server first and keeps its connection."""
        if self.command_timeout_seconds is not None:
            return self.command_timeout_seconds
        return self.statement_timeout_seconds + 1.0

    @model_validator(mode="after")
    def _timeouts(self) -> DatabaseSettings:
        if (
            self.command_timeout_seconds is not None
            and self.command_timeout_seconds < self.statement_timeout_seconds
        ):
            raise Mismatch(
                "command_timeout_seconds",
                f"{self.command_timeout_seconds:g} must not be below statement_timeout_seconds "
                f"({self.statement_timeout_seconds:g}): the server should cancel a slow "
                "statement before leadbot drops the connection",
                "statement_timeout_seconds",
            )
        return self

    @model_validator(mode="after")
    def _known_database(self) -> DatabaseSettings:
        """Parse the URL as the engines will, so a wrong one stops leadbot at start instead
        of every command later. No message quotes the URL: it may hold the password."""
        scheme = self.url.split("://", 1)[0] if "://" in self.url else ""
        if scheme.split("+", 1)[0] not in ("sqlite", "postgresql"):
            raise ValueError(
                f"url: not a database URL leadbot can use (scheme {quoted(scheme)}): "
                "sqlite:///file.db or postgresql://user@host/db"
            )
        try:
            url = make_url(self.url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ValueError(
                "url: cannot be parsed (a port that is not a number? a password with "
                "'@' not written as %40?)"
            ) from None
        if url.get_backend_name() == "postgresql":
            _check_postgresql_url(url)
        return self


PG_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
"""libpq's ``sslmode`` values; asyncpg takes the same names as its ``ssl`` (bot/db.py)."""


def _check_postgresql_url(url: URL) -> None:
    """Host, port and database the drivers can use; of the query only ``sslmode``: the
    bot's driver (asyncpg) is no libpq and fails on any other parameter at run time."""
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ValueError("url: the port must be between 1 and 65535")
    if url.host is not None and any(
        c == "@" or c.isspace() or not c.isprintable() for c in url.host
    ):
        raise ValueError(
            "url: the host contains '@', a space or a control character (write an '@' of "
            "the password as %40)"
        )
    if not url.database:
        raise ValueError(
            "url: names no database; put it after the host, e.g. postgresql://user@host/leadbot"
        )
    unknown = sorted(set(url.query) - {"sslmode"})
    if unknown:
        raise ValueError(
            f"url: unsupported query parameter(s) {', '.join(unknown)}; only sslmode is "
            "understood by both of leadbot's drivers (see docs/configuration.md)"
        )
    mode = url.query.get("sslmode")
    if isinstance(mode, tuple):
        raise ValueError("url: sslmode is given more than once")
    if mode is not None and mode not in PG_SSLMODES:
        raise ValueError(f"url: sslmode must be one of {', '.join(PG_SSLMODES)}")


class RedisSettings(Section):
    url: str = ""
    key_prefix: str = "leadbot:"
    max_connections: int = Field(
        default=50, ge=4, le=10_000, description="pool size per process; a burst waits briefly"
    )

    @model_validator(mode="after")
    def _usable_url(self) -> RedisSettings:
        """Read the URL as redis-py will, so a wrong one stops leadbot at start by name
        instead of a traceback from the connection pool (every command, ``serve`` too).
        No message quotes the URL: it may hold the password."""
        problem = redis_url_problem(self.url) if self.url.strip() else None
        if problem:
            raise ValueError(f"url: {problem}")
        return self


POOL_OPTIONS = frozenset({"connection_class", "max_connections", "timeout"})
"""Options of a Redis URL's query that go to the pool, not to each connection."""


def redis_url_problem(url: str) -> str | None:
    """Why redis-py could not connect with ``url`` (a scheme, a port, an option it does not
    know or cannot read), or None. Its own messages name the part, never the URL."""
    import inspect

    from redis.asyncio.connection import Connection, parse_url

    try:
        options = parse_url(url)
    except ValueError as exc:
        text = str(exc)
        if "scheme" in text:
            return (
                "not a Redis URL: use redis://, rediss:// or unix://, e.g. redis://127.0.0.1:6379/0"
            )
        return f"cannot be parsed: {text.rstrip('.')}"
    known: set[str] = set(POOL_OPTIONS)
    for cls in options.get("connection_class", Connection).__mro__:
        if "__init__" in vars(cls):
            known.update(inspect.signature(vars(cls)["__init__"]).parameters)
    unknown = sorted(set(options) - known)
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        return (
            f"unknown option(s) {names} in the query; leadbot's Redis client takes no such option"
        )
    return None


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = Field(
        default="", description="base of links leadbot sends out; empty: http://host:port"
    )
    api_token: SecretStr | None = secret_field("LEADBOT_SERVER__API_TOKEN")
    tombstone_key: SecretStr | None = secret_field("LEADBOT_SERVER__TOMBSTONE_KEY")

    @model_validator(mode="after")
    def _check_public_url(self) -> ServerSettings:
        """Every link leadbot sends out starts with it: a link with a space, or without a
        host, reaches nobody, and paths are appended to it, so a ?query or #fragment
        would end up in the middle of each link."""
        url = self.public_url
        problem = _public_url_problem(url) if url else None
        if problem:
            shown = "" if "@" in url else f": {quoted(url)}"  # a user:password@ stays unsaid
            raise ValueError(f"public_url: {problem}{shown}")
        return self

    def base_url(self) -> str:
        """Where people reach this server: ``public_url``, else ``http://host:port`` (an
        IPv6 host in brackets, ``http://[::1]:8080``: without them no URL parser finds the
        port)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"


def _public_url_problem(url: str) -> str | None:
    """What keeps ``url`` from being the base of links, or None."""
    problem = http_url_problem(url)
    if problem:
        return problem
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return "must not carry a user name or password: every recipient of a link would see it"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not have a ?query or #fragment (paths are appended to it)"
    return None


class OutboxSettings(Section):
    """The outbox sender (docs/lifecycle.md, "The outbox"; docs/configuration.md)."""

    batch_size: int = Field(default=100, ge=1, description="rows claimed at most per pass")
    max_in_flight: int = Field(
        default=32, ge=1, le=1000, description="messages on their way per platform and process"
    )
    max_backoff_seconds: float = Field(default=900, gt=0, le=86_400)
    poll_seconds: float = Field(default=2.0, gt=0)
    lock_seconds: float = Field(
        default=6,
        ge=1,
        le=3600,
        description="lease of a row being sent; renewed while its holder lives",
    )
    staff_summary_after: int = Field(
        default=20, ge=0, description="staff messages waiting before one summary replaces them"
    )
