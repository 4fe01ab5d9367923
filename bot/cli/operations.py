"""Partner operations on the CLI: ``partners pause|resume PARTNER [--until DATE] [--reason
TEXT]``, ``partners email-teasers PARTNER [--on|--off]`` and ``leads assign LEAD PARTNER``. The same services as the staff chat commands;
an unknown id is an error naming it (exit status 1) and changes nothing; a bad ``--until`` or
``--reason`` is click's usage error naming the option (exit status 2; both when both are bad),
before anything is read."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from bot.actors import Actor
from bot.cli.common import LEAD_ID, command, fail, pass_settings, run_async, settings_from
from bot.cli.directory import partners_group
from bot.cli.leads import leads_group
from bot.config import Settings
from bot.directory.availability import (
    REASON_MAX,
    Paused,
    Resumed,
    check_reason,
    check_until,
    partner_or_not_found,
    pause,
    resume,
)
from bot.directory.email_teasers import Switched, switch
from bot.errors import InvalidInput, ServiceError
from bot.leads.assign import Assignment, assign
from bot.leads.status_reports import parse_day
from bot.models import Channel
from bot.runtime import Runtime

CLI_STAFF = Actor.tool(Channel.CLI, "cli")


def _until(ctx: click.Context, _param: click.Parameter, text: str | None) -> date | None:
    """``--until`` as people type dates, relative to today in ``[distribution] timezone``.

    A malformed date, one in the past and one too far ahead are all bad values of the
    option: a usage error naming ``--until`` (exit status 2), while the command line is
    read, before anything is read or changed — as click refuses any other bad option
    value, and together with a bad ``--reason`` (:mod:`bot.cli.usage`)."""
    if text is None:
        return None
    today = datetime.now(ZoneInfo(settings_from(ctx).distribution.timezone)).date()
    try:
        day = parse_day(text, today)
        check_until(day, today)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc)) from None
    return day


def _reason(_ctx: click.Context, _param: click.Parameter, text: str | None) -> str | None:
    """``--reason`` checked by the rule the pause itself applies (one line of printable
    text, :data:`~bot.directory.availability.REASON_MAX` characters at most), so a line
    break or an overlong reason is a bad value of the option: a usage error naming
    ``--reason`` (exit status 2) while the command line is read, before anything is read
    or changed — as ``--until`` is, and not a refused action (exit status 1)."""
    try:
        return check_reason(text)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc)) from None


@command(partners_group, name="pause")
@click.argument("partner_id")
@click.option(
    "--until",
    "last_day",
    metavar="DATE",
    callback=_until,
    help="Last day of the pause (24.12.2026, 2026-12-24, +14d).",
)
@click.option(
    "--reason",
    metavar="TEXT",
    callback=_reason,
    help=f"Why, one line of at most {REASON_MAX} characters (shown to staff and in explain).",
)
@pass_settings
def partners_pause(
    settings: Settings, partner_id: str, last_day: date | None, reason: str | None
) -> None:
    """No teasers for PARTNER (its open leads stay); ends by itself after --until."""

    async def run() -> Paused:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await pause(uow, partner_id, CLI_STAFF, last_day, reason)
        finally:
            await runtime.close()

    try:
        paused = run_async(run())
    except ServiceError as exc:
        fail(str(exc))
    end = f" through {last_day.isoformat()}" if last_day else " until `leadbot partners resume`"
    name = paused.partner.name
    if paused.changed:
        click.echo(f"Partner {partner_id} ({name}) paused{end}: no teasers meanwhile.")
    else:
        click.echo(f"Partner {partner_id} ({name}) was already paused{end}: nothing changed.")


@command(partners_group, name="resume")
@click.argument("partner_id")
@pass_settings
def partners_resume(settings: Settings, partner_id: str) -> None:
    """PARTNER gets teasers again (also after a pause for missed SLAs)."""

    async def run() -> Resumed:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await resume(uow, partner_id, CLI_STAFF)
        finally:
            await runtime.close()

    try:
        done = run_async(run())
    except ServiceError as exc:
        fail(str(exc))
    name = done.partner.name
    if not done.was_paused:  # not an error: what was asked for is so already
        click.echo(f"Partner {partner_id} ({name}) was not paused: nothing changed.")
        return
    click.echo(f"Partner {partner_id} ({name}) gets teasers again.")


@command(partners_group, name="email-teasers")
@click.argument("partner_id")
@click.option(
    "--on/--off",
    "on",
    default=None,
    help="Mail teasers to the lead inbox again (--on), or stop them (--off).",
)
@pass_settings
def partners_email_teasers(settings: Settings, partner_id: str, on: bool | None) -> None:
    """Whether PARTNER's lead inbox gets teaser mails; --on or --off changes it.

    An inbox stops them itself with the unsubscribe link in every teaser mail; --on
    resumes them. Teasers in the partner's chats are not affected. See docs/email.md.
    """

    async def run() -> Switched:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                if on is None:
                    return Switched(await partner_or_not_found(uow, partner_id), changed=False)
                return await switch(uow, partner_id, CLI_STAFF, on=on)
        finally:
            await runtime.close()

    try:
        done = run_async(run())
    except ServiceError as exc:
        fail(str(exc))
    partner = done.partner
    name = f"Partner {partner_id} ({partner.name})"
    stopped = partner.email_teasers_stopped_at
    if not partner.email:
        state = "has no lead inbox (the email column of the partners CSV): no teaser mails"
    elif stopped is not None:
        state = (
            f"gets no teaser mails at {partner.email} "
            f"(stopped {stopped.strftime('%Y-%m-%d %H:%M')} UTC); "
            f"`leadbot partners email-teasers {partner_id} --on` resumes them"
        )
    else:
        state = f"gets teaser mails at {partner.email}"
    unchanged = "" if on is None or done.changed else " Nothing changed."
    click.echo(f"{name} {state}.{unchanged}")


@command(leads_group, name="assign")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@click.argument("partner_id")
@pass_settings
def leads_assign(settings: Settings, lead_id: int, partner_id: str) -> None:
    """Offer LEAD to PARTNER alone (from unmatched, unclaimed or offered).

    Filters the partner does not pass are printed as warnings; the offer is made anyway.
    """

    async def run() -> Assignment:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await assign(uow, lead_id, partner_id, CLI_STAFF)
        finally:
            await runtime.close()

    try:
        done = run_async(run())
    except ServiceError as exc:
        fail(str(exc))
    for warning in done.warnings:
        click.echo(f"leadbot: warning: {partner_id}: {warning}", err=True)
    click.echo(f"Lead {lead_id} offered to {partner_id} ({done.partner_name}) alone.")
