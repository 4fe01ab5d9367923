"""Staff commands on the CLI: ``report``, ``erase LEAD``, ``leads release|reoffer|recall LEAD``."""

from __future__ import annotations

import click

from bot.actors import Actor
from bot.cli.common import command, fail, pass_settings, run_async
from bot.cli.leads import leads_group
from bot.config import Settings
from bot.errors import ServiceError
from bot.handlers.console.render import render_report
from bot.leads.lifecycle import IllegalTransition
from bot.leads.staff import erase, release, reoffer, staff_recall
from bot.models import Channel
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime


@command(name="report")
@pass_settings
def report_command(settings: Settings) -> None:
    """Pipeline by status, partner and campaign (with ROI where campaign costs are set)."""

    async def run() -> str:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return render_report(await pipeline(uow), settings.staff.language)
        finally:
            await runtime.close()

    click.echo(run_async(run()))


@command(name="erase")
@click.argument("lead_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_settings
def erase_command(settings: Settings, lead_id: int, yes: bool) -> None:
    """Remove a lead's personal data everywhere (GDPR request); keep anonymous statistics."""
    if not yes:
        click.confirm(
            f"Erase the personal data of lead {lead_id}? This cannot be undone", abort=True
        )

    async def run() -> None:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                await erase(uow, lead_id, Actor.staff(Channel.CLI, name="cli"))
        finally:
            await runtime.close()

    try:
        run_async(run())
    except (ServiceError, IllegalTransition) as exc:
        fail(str(exc))
    click.echo(f"Lead {lead_id} erased: personal data removed, open teasers withdrawn.")


def _staff_action(settings: Settings, action: str, lead_id: int, consent: bool = False) -> str:
    """Run release / reoffer / recall as staff from the CLI; the lead's new status."""

    async def run() -> str:
        runtime = Runtime.create(settings)
        actor = Actor.staff(Channel.CLI, name="cli")
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
@click.argument("lead_id", metavar="LEAD", type=int)
@click.option("--consent", is_flag=True, help="Confirm the prospect consented to partner contact.")
@pass_settings
def release_command(settings: Settings, lead_id: int, consent: bool) -> None:
    """Let a held lead (no consent, possible duplicate) go to matching."""
    status = _staff_action(settings, "release", lead_id, consent)
    click.echo(f"Lead {lead_id} released: {status}.")


@command(leads_group, name="reoffer")
@click.argument("lead_id", metavar="LEAD", type=int)
@pass_settings
def reoffer_command(settings: Settings, lead_id: int) -> None:
    """Send an unmatched or unclaimed lead to matching again."""
    click.echo(f"Lead {lead_id} offered again: {_staff_action(settings, 'reoffer', lead_id)}.")


@command(leads_group, name="recall")
@click.argument("lead_id", metavar="LEAD", type=int)
@pass_settings
def recall_command(settings: Settings, lead_id: int) -> None:
    """Take a lead away from its partner and offer it to others."""
    click.echo(f"Lead {lead_id} recalled: {_staff_action(settings, 'recall', lead_id)}.")
