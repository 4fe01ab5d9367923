"""Staff commands on the CLI: ``leadbot report`` and ``leadbot erase LEAD``."""

from __future__ import annotations

import click

from bot.actors import Actor
from bot.cli.common import command, fail, pass_settings, run_async
from bot.config import Settings
from bot.handlers.console.render import render_report
from bot.lifecycle import IllegalTransition
from bot.models import Channel
from bot.runtime import Runtime
from bot.services.errors import ServiceError
from bot.services.reports import pipeline
from bot.services.staff import erase


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
