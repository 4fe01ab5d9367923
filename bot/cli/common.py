"""Shared CLI plumbing: the ``--config`` option, loading settings, running async code."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from bot.cli import loglines
from bot.cli.importing import fail as fail  # re-exported: the commands import it from here
from bot.cli.importing import require_database
from bot.cli.usage import LeadbotCommand
from bot.config import ConfigError, Settings, load_settings
from bot.plaintext import quoted

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

LEAD_ID_MAX = 2**63 - 1
"""The largest lead id: ids are positive 64-bit integers in both databases."""


class WholeNumber(click.ParamType):
    """A whole number from ``low`` to ``high`` (``None``: unbounded on that side), refused by
    click naming the option (exit status 2) in words a person reads: ``click.IntRange``
    says "'x' is not a valid integer range" and "-1 is not in the range x>=0"."""

    name = "number"

    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low, self.high = low, high

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        """The range in ``--help`` (``--port 0-65535``), as ``IntRange`` showed it."""
        if self.low is not None and self.high is not None:
            return f"{self.low}-{self.high}"
        return f"{self.low}+" if self.low is not None else None

    def bounds(self) -> str:
        """``from 1 to 2160``, ``0 or more``, ``up to 9``."""
        if self.low is not None and self.high is not None:
            return f"from {self.low} to {self.high}"
        if self.low is not None:
            return f"{self.low} or more"
        return f"up to {self.high}" if self.high is not None else "of any size"

    def not_a_number(self, value: Any) -> str:
        return f"{quoted(value)} is not a whole number ({self.bounds()})."

    def out_of_range(self, number: int) -> str:
        return f"{number} is out of range: give a whole number {self.bounds()}."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = _whole(value)
        if number is None:
            self.fail(self.not_a_number(value), param, ctx)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            self.fail(self.out_of_range(number), param, ctx)
        return number


class LeadIdType(WholeNumber):
    """A lead's number: a whole number from 1 to :data:`LEAD_ID_MAX`, refused in words that
    name a lead and what to type. A larger number must not reach a driver: SQLite's
    overflows with a traceback, PostgreSQL's gives a misleading database error."""

    name = "lead number"

    def __init__(self) -> None:
        super().__init__(1, LEAD_ID_MAX)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return None  # the argument's own metavar (LEAD)

    def not_a_number(self, value: Any) -> str:
        return (
            f"{quoted(value)} is not a lead number: give the lead's id, a whole number such as 17."
        )

    def out_of_range(self, number: int) -> str:
        return f"{number} is not a lead number: lead ids are whole numbers from 1 to {LEAD_ID_MAX}."


LEAD_ID = LeadIdType()
"""The type of every lead id argument (``explain``, ``erase``, ``leads …``)."""


def _whole(value: Any) -> int | None:
    """``value`` (a command-line word, or a default already an int) as an int; None if it
    is not a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.meta["leadbot.config"] = value
    return value


def config_option(func: F) -> F:
    """``--config PATH`` on the group and on every command (either position works)."""
    return click.option(
        "--config",
        "config",
        metavar="PATH",
        expose_value=False,
        is_eager=True,
        callback=_remember_config,
        help="Settings file (default: $LEADBOT_CONFIG, else bot.toml).",
    )(func)


def settings_from(ctx: click.Context) -> Settings:
    """Load settings once per invocation; a bad config ends the command with its message."""
    cached = ctx.meta.get("leadbot.settings")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        settings = load_settings(ctx.meta.get("leadbot.config"))
    except ConfigError as exc:
        click.echo(f"leadbot: {exc}", err=True)
        sys.exit(2)
    ctx.meta["leadbot.settings"] = settings
    loglines.install(settings)  # a warning logged on the way reads like the command's own
    return settings


def run_async(coro: Coroutine[Any, Any, T], *, database: bool = True) -> T:
    """Run a command's async work. Work that uses the database (``database``, the default)
    starts only on a database migrated for this leadbot: the first time in a command the
    schema is checked (:func:`bot.cli.importing.require_database`), so every command says
    "the database is at revision 0011, this leadbot needs 0012: run `leadbot migrate`"
    instead of the first statement's "column … does not exist" — one check for all of
    them, after each has checked its own arguments."""
    if database:
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            try:
                require_database(settings_from(ctx))
            except BaseException:
                coro.close()  # never started: no "coroutine was never awaited" warning
                raise
    return asyncio.run(coro)


YES = frozenset({"y", "yes", "j", "ja"})


def confirmed(question: str) -> bool:
    """Ask ``question [y/N]`` on the terminal; whether the answer is yes. No answer at all
    (end of input: a script without ``--yes``) is no. Unlike ``click.confirm``, Ctrl+C is
    not taken for "no": it ends the command like anywhere else (``leadbot: interrupted``,
    exit status 130)."""
    click.echo(f"{question} [y/N]: ", nl=False)
    answer = sys.stdin.readline()
    if not answer.endswith("\n"):
        click.echo("")  # the user's Enter never came: end the prompt's line
    return answer.strip().lower() in YES


def command(group: click.Group | None = None, **kwargs: Any) -> Callable[[F], F]:
    """A click command that also takes ``--config``, and that names every bad argument or
    option of a command line in its usage error, not only the first one
    (:class:`~bot.cli.usage.LeadbotCommand`)."""

    def decorate(func: F) -> F:
        wrapped = config_option(func)
        maker = group.command if group is not None else click.command
        return maker(cls=LeadbotCommand, **kwargs)(wrapped)  # type: ignore[return-value]

    return decorate


def pass_settings(func: F) -> F:
    @functools.wraps(func)
    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(func, settings_from(ctx), *args, **kwargs)

    return wrapper  # type: ignore[return-value]
