"""``leadbot cockpit link`` (a one-time sign-in URL), ``leadbot cockpit end-sessions`` and
``leadbot campaigns import costs.csv``."""

from __future__ import annotations

from pathlib import Path

import click

from bot.actors import Actor
from bot.cli.common import command, config_option, pass_settings, run_async
from bot.cli.importing import (
    DRY_RUN_OPTION,
    FILE_ARGUMENT,
    done,
    fail,
    report_problems,
    require_database,
)
from bot.cockpit.links import create_login_link, end_all_sessions
from bot.cockpit.session import require_secret
from bot.config import ConfigError, Settings
from bot.directory.service import ImportSummary
from bot.models import Channel
from bot.plaintext import required_line
from bot.reports.costs import parse_costs, store_costs, unknown_cost_warnings
from bot.runtime import Runtime

MAX_NAME = 100


@click.group(name="cockpit")
@config_option
def cockpit_group() -> None:
    """The staff web cockpit (served by `leadbot serve` at /cockpit)."""


@command(cockpit_group, name="link")
@click.option("--name", default="cli", show_default=True, help="Who the session is for (shown).")
@pass_settings
def link_command(settings: Settings, name: str) -> None:
    """Print a one-time sign-in link (valid for [cockpit] link_minutes, usable once)."""
    try:
        require_secret(settings)
    except ConfigError as exc:
        fail(str(exc), 2)
    try:  # shown in the cockpit's header and kept with the login: one line of text
        name = required_line(name)
    except ValueError as exc:
        fail(f"--name: {exc}", 2)
    if len(name) > MAX_NAME:
        fail(f"--name: at most {MAX_NAME} characters", 2)
    require_database(settings)

    async def run() -> str:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await create_login_link(uow, Actor.staff(Channel.CLI, name=name))
        finally:
            await runtime.close()

    click.echo(run_async(run()))


@command(cockpit_group, name="end-sessions")
@pass_settings
def end_sessions_command(settings: Settings) -> None:
    """Sign everyone out of the cockpit (a lost laptop, someone who left); new links work."""
    require_database(settings)

    async def run() -> int:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                return await end_all_sessions(uow)
        finally:
            await runtime.close()

    ended = run_async(run())
    sessions = "1 cockpit session" if ended == 1 else f"{ended} cockpit sessions"
    click.echo(f"{sessions} ended; signing in again takes a new link (leadbot cockpit link).")


@click.group(name="campaigns")
@config_option
def campaigns_group() -> None:
    """Campaign costs for the ROI figures."""


@command(campaigns_group, name="import")
@FILE_ARGUMENT
@DRY_RUN_OPTION
@pass_settings
def import_costs(settings: Settings, file: Path, dry_run: bool) -> None:
    """Import campaign costs from a CSV with the columns campaign and cost_eur.

    Read like the other imports: UTF-8 (or UTF-16 with a BOM), ',' or ';' or tab as the
    delimiter. A campaign already imported gets the new cost. A file with any bad line
    imports nothing and lists every problem; a cost for a campaign no lead has named is
    imported with a warning. Details: docs/cockpit.md.
    """
    rows, problems = parse_costs(file.read_bytes())
    if problems:
        report_problems(file, problems)
    require_database(settings)

    async def run() -> tuple[ImportSummary, list[str]]:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                summary = await store_costs(uow.session, rows, uow.clock.now())
                warnings = await unknown_cost_warnings(
                    uow.session, {row.campaign: row.cost_eur for row in rows}
                )
                if not dry_run:
                    await uow.commit()
                return summary, warnings
        finally:
            await runtime.close()

    summary, warnings = run_async(run())
    for warning in warnings:
        click.echo(f"leadbot: warning: {warning}", err=True)
    done(file, summary, dry_run)
