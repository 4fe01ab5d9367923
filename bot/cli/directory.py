"""``leadbot partners import FILE.csv`` and ``leadbot reps import FILE.csv``.

Both check the whole file first (every bad row, with its line) and store nothing if
anything is wrong; a clean file is written in one transaction. See
docs/directory-and-intake.md for the formats.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import command, config_option, pass_settings, run_async
from bot.cli.importing import (
    DRY_RUN_OPTION,
    FILE_ARGUMENT,
    done,
    fail,
    first_line,
    progress,
    report_problems,
    require_database,
)
from bot.config import Settings
from bot.directory import (
    ImportSummary,
    check_partners,
    check_reps,
    import_partners,
    import_reps,
    parse_partners,
    parse_reps,
    partners_unreached,
    partners_without_reps,
    read_table,
)
from bot.directory import partners as partner_csv
from bot.directory import reps as rep_csv
from bot.directory.table import Problem, Table
from bot.runtime import Runtime
from bot.uow import UnitOfWork

DEACTIVATE_OPTION = click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Mark stored entries that are not in the file inactive (they are never deleted).",
)


@click.group(name="partners")
@config_option
def partners_group() -> None:
    """The partner directory (resellers, integrators, dealers)."""


@click.group(name="reps")
@config_option
def reps_group() -> None:
    """The sales reps of the partners."""


Check = Callable[[UnitOfWork, Any], Awaitable[list[Problem]]]
Write = Callable[..., Awaitable[ImportSummary]]


async def _check_and_write(
    settings: Settings,
    rows: list[Any],
    problems: list[Problem],
    check: Check,
    write: Write,
    *,
    label: str,
    deactivate: bool,
    dry_run: bool,
) -> tuple[ImportSummary | None, list[Problem]]:
    """Add the database's problems to the file's; write only when there are none."""
    runtime = Runtime.create(settings, pooled=False)
    try:
        async with runtime.uow() as uow:
            problems = sorted([*problems, *await check(uow, rows)], key=_order)
            if problems:
                return None, problems
            with progress(len(rows), label) as advance:
                summary = await write(uow, rows, deactivate_missing=deactivate, advance=advance)
            summary.unstaffed = await partners_without_reps(
                uow, before_reps=write is import_partners
            )
            if write is import_partners:
                summary.unreached = await partners_unreached(uow)
            if not dry_run:
                await uow.commit()
            return summary, []
    finally:
        await runtime.close()


def _order(problem: Problem) -> int:
    return problem.line or 0


def _run_import(
    settings: Settings,
    file: Path,
    columns: tuple[tuple[str, ...], tuple[str, ...]],
    parse: Callable[[Table], tuple[list[Any], list[Problem]]],
    check: Check,
    write: Write,
    *,
    label: str,
    deactivate: bool,
    dry_run: bool,
) -> None:
    require_database(settings)
    table, problems = read_table(file.read_bytes(), *columns)
    if table is None:
        report_problems(file, problems)
    rows, row_problems = parse(table)
    problems = [*problems, *row_problems]
    if deactivate and not rows and not problems:
        # A header alone (an export that went wrong) would switch off the whole directory.
        fail(
            f"{file}: no {label.split()[-1]} in the file; with --deactivate-missing every "
            "stored one would be deactivated. Nothing was changed."
        )
    try:
        summary, problems = run_async(
            _check_and_write(
                settings,
                rows,
                problems,
                check,
                write,
                label=label,
                deactivate=deactivate,
                dry_run=dry_run,
            )
        )
    except SQLAlchemyError as exc:
        fail(f"database error, nothing was imported: {first_line(exc)}")
    if problems:
        report_problems(file, problems)
    done(file, summary, dry_run)
    if summary is not None and summary.unstaffed:
        _warn(
            summary.unstaffed,
            "no active rep",
            "nobody there can claim one — import their reps (leadbot reps import)",
        )
    if summary is not None and summary.unreached:
        _warn(
            summary.unreached,
            "no channel for teasers",
            "nobody there sees one — fill in their slack_channel, telegram_chat_id or email "
            "column for a platform this config enables, or pause them "
            "(leadbot partners pause ID)",
        )


def _warn(partner_ids: list[str], lacking: str, consequence: str) -> None:
    """Partners offered leads in vain: said after every import, until the file (or the
    directory) gives them what they lack."""
    shown = ", ".join(partner_ids[:5]) + (
        f" and {len(partner_ids) - 5} more" if len(partner_ids) > 5 else ""
    )
    count = (
        "1 active partner has"
        if len(partner_ids) == 1
        else f"{len(partner_ids)} active partners have"
    )
    click.echo(
        f"leadbot: warning: {count} {lacking} ({shown}): leads are offered to them, but "
        f"{consequence}",
        err=True,
    )


@command(partners_group, name="import")
@FILE_ARGUMENT
@DEACTIVATE_OPTION
@DRY_RUN_OPTION
@pass_settings
def partners_import(
    settings: Settings, file: Path, deactivate_missing: bool, dry_run: bool
) -> None:
    """Add or update partners from a CSV file (matched by id).

    Columns: id, name, tier, certifications, employees, annual_revenue_eur, country,
    postal_code, lat, lon, service_radius_km, regions, segments, products, max_open_leads,
    languages, slack_channel, telegram_chat_id, email (the partner's lead inbox; optional,
    like every column but id, name, tier and country). Lists are separated by ';'. The
    whole file is checked first; a file with any problem imports nothing. Details:
    docs/directory-and-intake.md.
    """
    _run_import(
        settings,
        file,
        (partner_csv.REQUIRED, partner_csv.OPTIONAL),
        lambda table: parse_partners(table, settings),
        check_partners,
        import_partners,
        label="Importing partners",
        deactivate=deactivate_missing,
        dry_run=dry_run,
    )


@command(reps_group, name="import")
@FILE_ARGUMENT
@DEACTIVATE_OPTION
@DRY_RUN_OPTION
@pass_settings
def reps_import(settings: Settings, file: Path, deactivate_missing: bool, dry_run: bool) -> None:
    """Add or update partner reps from a CSV file (matched by e-mail).

    Columns: partner_id, name, email, slack_user_id, telegram_user_id, role, language.
    The partners must have been imported first. The whole file is checked first; a file
    with any problem imports nothing.
    """
    _run_import(
        settings,
        file,
        (rep_csv.REQUIRED, rep_csv.OPTIONAL),
        lambda table: parse_reps(table, settings.email.smtputf8),
        check_reps,
        import_reps,
        label="Importing reps",
        deactivate=deactivate_missing,
        dry_run=dry_run,
    )
    if not dry_run:
        _link_accounts(settings)


def _link_accounts(settings: Settings) -> None:
    """Reps without a chat account: let each enabled platform that can look accounts up by
    e-mail (Slack's ``users.lookupByEmail``) link them, and report every rep's result."""

    async def run() -> list[Any]:
        runtime = Runtime.create(settings, pooled=False)
        try:
            found: list[Any] = []
            for chat in runtime.chats.values():
                if chat.server_module is None:
                    continue
                link = getattr(importlib.import_module(chat.server_module), "link_accounts", None)
                if link is not None:
                    found.extend(await link(runtime))
            return found
        finally:
            await runtime.close()

    for result in run_async(run()):
        click.echo(f"  {result.line}")
