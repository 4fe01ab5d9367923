"""``leadbot webhooks status|test NAME|replay --since ISO``: the CRM webhooks from the shell."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot.cli.common import command, config_option, fail, pass_settings, run_async, settings_from
from bot.cli.importing import require_database
from bot.cli.moments import aware, moment, utc
from bot.config import Settings, WebhookEndpoint
from bot.crm.admin import EndpointStatus, replay, send_test, status
from bot.crm.signing import secret_problem
from bot.intake.schema import in_utc
from bot.models import WebhookStatus
from bot.plaintext import quoted
from bot.runtime import Runtime


@click.group(name="webhooks")
@config_option
def webhooks_group() -> None:
    """Signed lead events to your CRM ([[webhooks]], docs/crm.md)."""


def _hook(settings: Settings, name: str) -> WebhookEndpoint | None:
    return next((hook for hook in settings.webhooks if hook.name == name), None)


def _endpoint(ctx: click.Context, _param: click.Parameter, name: str | None) -> str | None:
    """An endpoint's name (``test NAME``, ``replay --endpoint``) that is configured: any
    other is a bad value of that argument or option, a usage error naming it and the
    known ones (exit status 2), together with any other bad value of the command line."""
    if name is None:
        return None
    settings = settings_from(ctx)
    if _hook(settings, name) is None:
        known = ", ".join(h.name for h in settings.webhooks) or "none configured"
        raise click.BadParameter(f"no webhook named {quoted(name)} (known: {known})")
    return name


def _lines(entry: EndpointStatus) -> list[str]:
    counts = {state: entry.counts.get(state, 0) for state in WebhookStatus}
    hook = entry.hook
    if hook is None:
        head = f"{entry.name}: not configured any more — its pending rows are not sent"
    else:
        events = ", ".join(hook.events)
        secret = secret_problem(hook) or f"secret from {hook.secret_env}"
        state = "" if hook.enabled else " (disabled)"
        head = f"{entry.name}{state}: {hook.url}\n  events: {events}; {secret}"
    lines = [
        head,
        "  "
        + ", ".join(f"{state.value} {counts[state]}" for state in WebhookStatus)
        + (
            f"; oldest waiting since {utc(entry.oldest_pending)}{_next_attempt(entry)}"
            if counts[WebhookStatus.PENDING]
            else ""
        ),
        *_lease_lines(entry),
    ]
    if entry.last_error:
        lines.append(f"  retrying: {entry.last_error}")
    for failure in entry.failures:
        lines.append(
            f"  failed #{failure.id} {failure.event_type} (lead {failure.lead_id}, "
            f"{failure.attempts} attempt(s)): {failure.error}"
        )
    return lines


def _next_attempt(entry: EndpointStatus) -> str:
    """When the sender takes the next free row: a time already past is due now. None
    when every pending row is leased or waits behind another; none for an endpoint
    that is not sent to (removed: said in its head line; disabled)."""
    if entry.next_attempt is None or entry.hook is None:
        return ""
    if not entry.hook.enabled:
        return ", next attempt once enabled again"
    if aware(entry.next_attempt) <= entry.now:
        return f", next attempt due now (since {utc(entry.next_attempt)})"
    return f", next attempt {utc(entry.next_attempt)}"


def _lease_lines(entry: EndpointStatus) -> list[str]:
    """Rows under a lease, and rows whose lease ran out. A lease says only that a sender
    took the row until then, not that the sender still runs (docs/crm.md, "Operating it")."""
    lines = []
    if entry.leased and entry.leased_until is not None:
        lines.append(
            f"  {entry.leased} being sent, leased by a sender until "
            f"{moment(entry.now, entry.leased_until)}: if that sender died, sent again once "
            "the lease runs out"
        )
    if entry.lapsed and entry.lapsed_at is not None:
        lines.append(
            f"  {entry.lapsed} in doubt, leased by a sender until "
            f"{moment(entry.now, entry.lapsed_at)}: "
            "the lease ran out, that sender stopped mid-send; sent again by the next sender "
            "(the receiver may get it twice, with the same webhook-id)"
        )
    if entry.behind:
        lines.append(f"  {entry.behind} waiting for an earlier event of the same lead")
    return lines


@command(webhooks_group, name="status")
@pass_settings
def webhooks_status(settings: Settings) -> None:
    """Each endpoint: deliveries pending (leased, due, waiting behind their lead), delivered,
    failed; the latest failures."""
    require_database(settings)

    async def run() -> list[EndpointStatus]:
        runtime = Runtime.create(settings)
        try:
            return await status(runtime)
        finally:
            await runtime.close()

    entries = run_async(run())
    if not entries:
        click.echo("No webhooks configured ([[webhooks]] in bot.toml, see docs/crm.md).")
        return
    click.echo("\n".join(line for entry in entries for line in _lines(entry)))


@command(webhooks_group, name="test")
@click.argument("name", callback=_endpoint)
@pass_settings
def webhooks_test(settings: Settings, name: str) -> None:
    """Send one signed test event (type webhook.test) to the endpoint NAME now."""
    hook = _hook(settings, name)
    assert hook is not None  # checked as the command line was read (_endpoint)
    result = run_async(send_test(hook), database=False)  # the endpoint only, no database
    if not result.ok:
        fail(f"{name}: {result.text}")
    click.echo(f"{name}: {result.text}")


def _since(ctx: click.Context, _param: click.Parameter, text: str) -> datetime:
    """``--since``: an ISO date or time; without a zone it is local ([distribution]
    timezone). Anything else is a bad value of the option (exit status 2), named together
    with a bad ``--endpoint``."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value += "T00:00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{quoted(text)} is not an ISO date or time (e.g. 2026-03-01 or 2026-03-01T10:00:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(settings_from(ctx).distribution.timezone))
    try:
        return in_utc(when)
    except ValueError as exc:  # a time next to year 1 or 9999 that has no UTC time
        raise click.BadParameter(f"{quoted(text)} {exc}") from None


@command(webhooks_group, name="replay")
@click.option(
    "--since",
    "when",
    required=True,
    metavar="ISO",
    callback=_since,
    help="Deliveries made at or after this.",
)
@click.option(
    "--endpoint",
    "name",
    metavar="NAME",
    callback=_endpoint,
    help="Only this endpoint (default: all).",
)
@pass_settings
def webhooks_replay(settings: Settings, when: datetime, name: str | None) -> None:
    """Send the deliveries made since a time again — delivered and failed ones.

    Each keeps its webhook-id, so a receiver that already has it can drop it. Pending
    deliveries are not touched; a running `leadbot serve` sends the replayed ones in order.
    """
    require_database(settings)

    async def run() -> int:
        runtime = Runtime.create(settings)
        try:
            return await replay(runtime, when, name)
        finally:
            await runtime.close()

    count = run_async(run())
    click.echo(f"{count} deliver{'y' if count == 1 else 'ies'} since {utc(when)} queued again.")
