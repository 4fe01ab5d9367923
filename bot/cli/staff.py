"""Staff commands on the CLI: ``report [--from --to --format]``, ``erase LEAD``, ``leads release|reoffer|recall LEAD``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from sqlalchemy import select

from bot.actors import Actor
from bot.cli.common import LEAD_ID, command, confirmed, fail, pass_settings, run_async
from bot.cli.importing import require_database
from bot.cli.leads import leads_group
from bot.config import Settings
from bot.errors import NotFound, ServiceError
from bot.handlers.console.render import render_report
from bot.leads.lifecycle import IllegalTransition
from bot.leads.staff import erase, release, reoffer, staff_recall
from bot.models import Channel, Lead, LeadStatus
from bot.reports.export import TABLES, report_csv, report_json
from bot.reports.model import Report
from bot.reports.period import Period, PeriodError, day_of, parse_period
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime


def _period(settings: Settings, start: str | None, end: str | None) -> Period:
    """``--from``/``--to`` as the range to report, today being the local day.

    Each date was checked as the command line was read (:func:`_day`); a range that is
    reversed or too long is a bad value of the options it is about: click's usage error
    naming them (``Invalid value for '--from' / '--to': …``, exit status 2) before the
    database is opened. A range names only the options given (``--from`` after today
    without ``--to``)."""
    try:
        return parse_period(
            start,
            end,
            now=datetime.now(UTC),
            timezone=settings.distribution.timezone,
            default_days=settings.cockpit.default_days,
        )
    except PeriodError as exc:
        given = {"from": start, "to": end}
        named = [name for name in exc.fields if (given[name] or "").strip()] or list(exc.fields)
        raise click.BadParameter(exc.detail, param_hint=[f"--{name}" for name in named]) from None


def _day(_ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """``--from`` or ``--to`` checked on its own while the command line is read: a bad date
    is a bad value of its option (``Invalid value for '--from': '2026-02-30' is not a date;
    use YYYY-MM-DD``, exit status 2), and a bad ``--from`` and ``--to`` are both named."""
    if text is not None and text.strip():
        try:
            day_of(text, "from" if param.name == "start" else "to")
        except PeriodError as exc:
            raise click.BadParameter(exc.detail) from None
    return text


@command(name="report")
@click.option(
    "--from",
    "start",
    metavar="YYYY-MM-DD",
    callback=_day,
    help="First day (default: the range covers [cockpit] default_days days, 90, up to --to).",
)
@click.option(
    "--to", "end", metavar="YYYY-MM-DD", callback=_day, help="Last day, included (default: today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
    help="text for people (in [staff] language), csv for spreadsheets, json for scripts.",
)
@click.option(
    "--table",
    type=click.Choice(sorted(TABLES)),
    help="Which table --format csv writes (default: campaigns); only with --format csv.",
)
@pass_settings
def report_command(
    settings: Settings, start: str | None, end: str | None, fmt: str, table: str | None
) -> None:
    """Funnel, open pipeline, campaign ROI and partner reliability for a date range.

    Days are local ([distribution] timezone); both ends are included. Warnings (a cost
    for an unknown campaign) go to stderr for csv and json.
    """
    if table is not None and fmt != "csv":  # text and json show every table
        raise click.BadParameter(
            f"only with --format csv (--format {fmt} shows every table)", param_hint="'--table'"
        )
    period = _period(settings, start, end)
    runtime = Runtime.create(settings)

    async def run() -> Report:
        try:
            async with runtime.uow() as uow:
                return await pipeline(uow, period)
        finally:
            await runtime.close()

    report = run_async(run())
    if fmt == "text":
        click.echo(render_report(report, settings.staff.language))
        return
    for warning in report.warnings:
        click.echo(f"leadbot: warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        click.echo(report_csv(report, table or "campaigns"), nl=False)


@command(name="erase")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_settings
def erase_command(settings: Settings, lead_id: int, yes: bool) -> None:
    """Remove a lead's personal data everywhere (GDPR request); keep anonymous statistics.
    Asks for confirmation first, unless --yes is given; a lead that does not exist or was
    erased before is said at once, without asking."""
    require_database(settings)  # a database that is not there is not created by asking
    if not yes:
        try:
            status = run_async(_status_of(settings, lead_id))
        except ServiceError as exc:
            fail(str(exc))
        if status is not LeadStatus.ERASED:
            _confirm_erasure(lead_id)

    async def run() -> bool:
        """Whether this erased it; False when it was erased before (the service decides
        under the lead's lock, as for the CRM API's ``DELETE``)."""
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await erase(uow, lead_id, Actor.tool(Channel.CLI, "cli"))
        finally:
            await runtime.close()

    try:
        erased_now = run_async(run())
    except (ServiceError, IllegalTransition) as exc:
        fail(str(exc))
    if erased_now:
        click.echo(f"Lead {lead_id} erased: personal data removed, open teasers withdrawn.")
    else:
        click.echo(f"Lead {lead_id} was erased before: nothing left to remove.")


async def _status_of(settings: Settings, lead_id: int) -> LeadStatus:
    """The lead's status, to ask only about a lead there is something to erase of."""
    runtime = Runtime.create(settings)
    try:
        async with runtime.uow() as uow:
            status = await uow.session.scalar(select(Lead.status).where(Lead.id == lead_id))
    finally:
        await runtime.close()
    if status is None:
        raise NotFound(f"lead {lead_id} does not exist")
    return status


def _confirm_erasure(lead_id: int) -> None:
    """Ask; a "no", or no answer at all (a script without --yes), erases nothing."""
    if not confirmed(f"Erase the personal data of lead {lead_id}? This cannot be undone"):
        fail(f"lead {lead_id} was not erased (not confirmed; in a script, add --yes)")


def _staff_action(settings: Settings, action: str, lead_id: int, consent: bool = False) -> str:
    """Run release / reoffer / recall as staff from the CLI; the lead's new status."""

    async def run() -> str:
        runtime = Runtime.create(settings)
        actor = Actor.tool(Channel.CLI, "cli")
        try:
            async with runtime.uow() as uow:
                if action == "release":
                    outcome = await release(uow, lead_id, actor, consent=consent)
                elif action == "reoffer":
                    outcome = await reoffer(uow, lead_id, actor)
                else:
                    outcome = await staff_recall(uow, lead_id, actor)
                return outcome.status.value
        finally:
            await runtime.close()

    try:
        return run_async(run())
    except (ServiceError, IllegalTransition) as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


@command(leads_group, name="release")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@click.option("--consent", is_flag=True, help="Confirm the prospect consented to partner contact.")
@pass_settings
def release_command(settings: Settings, lead_id: int, consent: bool) -> None:
    """Let a held lead (no consent, possible duplicate) go to matching."""
    status = _staff_action(settings, "release", lead_id, consent)
    click.echo(f"Lead {lead_id} released: {status}.")


@command(leads_group, name="reoffer")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@pass_settings
def reoffer_command(settings: Settings, lead_id: int) -> None:
    """Send an unmatched or unclaimed lead to matching again."""
    click.echo(f"Lead {lead_id} offered again: {_staff_action(settings, 'reoffer', lead_id)}.")


@command(leads_group, name="recall")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@pass_settings
def recall_command(settings: Settings, lead_id: int) -> None:
    """Take a lead away from its partner and offer it to others."""
    click.echo(f"Lead {lead_id} recalled: {_staff_action(settings, 'recall', lead_id)}.")
