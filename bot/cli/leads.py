"""``leadbot leads import FILE.json|FILE.csv``: leads from a file, through the API's path.

The file is validated completely first (every bad record, with where it is and the field
path) and nothing is stored if anything is wrong. Then all leads go through
``bot.intake.service.receive`` in one transaction (see :mod:`bot.intake.importer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
from sqlalchemy.exc import SQLAlchemyError

from bot.actors import Actor
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
from bot.config import Settings, TombstoneKeyMismatch
from bot.crm.tombstones import settle_key
from bot.intake.files import LeadRecord, load_leads
from bot.intake.importer import LeadImportSummary, import_leads
from bot.models import Channel
from bot.runtime import Runtime

Format = Literal["json", "csv"]


@click.group(name="leads")
@config_option
def leads_group() -> None:
    """Leads: import from files; release, re-offer, assign or recall one."""


def _format(file: Path, given: str | None) -> Format:
    if given in ("json", "csv"):
        return given  # type: ignore[return-value]
    suffix = file.suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix[1:]  # type: ignore[return-value]
    fail(f"cannot tell the format of {file} from its name; add --format json or csv", 2)


async def _store(settings: Settings, records: list[LeadRecord], dry_run: bool) -> LeadImportSummary:
    runtime = Runtime.create(settings, pooled=False)
    try:
        # Before anything: with another tombstone key than the database's, erased leads
        # would be imported again (a dry run records no key, it only checks).
        await settle_key(runtime.sessions, settings, runtime.clock.now(), record=not dry_run)
        async with runtime.uow() as uow:
            with progress(len(records), "Importing leads") as advance:
                summary = await import_leads(
                    uow, [r.lead for r in records], Actor.system(Channel.CLI), advance
                )
            if not dry_run:
                await uow.commit()
            return summary
    finally:
        await runtime.close()


@command(leads_group, name="import")
@FILE_ARGUMENT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    help="The file's format (default: from its extension).",
)
@DRY_RUN_OPTION
@pass_settings
def leads_import(settings: Settings, file: Path, fmt: str | None, dry_run: bool) -> None:
    """Add leads from a JSON or CSV file, as if each had been posted to /api/leads.

    JSON: one lead object or a list of them (the API contract). CSV: one lead per row, the
    columns named by the JSON field paths (company.name, company.address.postal_code,
    interest.products, ...). Leads whose external_id is already stored are left as they
    are; leads whose external_id belonged to an erased lead are skipped, each named. Values
    of loose fields that teasers cannot show as given (a timeline such as "Q1 2027", an
    unknown industry) are kept and listed as warnings, and so are unmatched leads whose
    consent names partners that are not active partners. The whole file is checked first; a
    file with any problem imports nothing. With another LEADBOT_SERVER__TOMBSTONE_KEY than
    the database's (or none when it has one) nothing is imported either: exit status 1.
    Details: docs/directory-and-intake.md.
    """
    kind = _format(file, fmt)
    require_database(settings)
    records, problems = load_leads(file.read_bytes(), kind, settings)
    if problems:
        report_problems(file, problems)
    for record in records:
        for warning in record.warnings:
            click.echo(f"leadbot: warning: {record.where}, {warning}", err=True)
    try:
        summary = run_async(_store(settings, records, dry_run))
    except SQLAlchemyError as exc:
        # Only the first line: the rest of a driver message can quote the lead's data.
        fail(f"database error, nothing was imported: {first_line(exc)}")
    except TombstoneKeyMismatch as exc:
        fail(f"{exc} Nothing was imported.")
    for position, why in summary.skipped:
        click.echo(f"leadbot: skipped {records[position].where}: {why}", err=True)
    for position, warning in summary.unknown_partners:
        where = records[position].where
        click.echo(f"leadbot: warning: {where}, {warning.field}: {warning.message}", err=True)
    done(file, summary, dry_run)
