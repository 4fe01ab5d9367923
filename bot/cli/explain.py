"""``leadbot explain LEAD [--partner ID]``: why partners did or did not get a lead.

Computing is :func:`bot.explain.service.explain_stored_lead`; this module only
renders its result as plain text (or JSON with ``--json``), so a staff chat command can
render the same data its own way.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from bot.cli.common import LEAD_ID, WholeNumber, command, fail, pass_settings, run_async
from bot.config import ConfigError, Settings
from bot.errors import NotFound
from bot.explain.service import StoredLeadExplanation, explain_stored_lead
from bot.explain.text import render_partner, render_summary
from bot.runtime import Runtime


async def _load(settings: Settings, lead_id: int, partner_id: str | None) -> StoredLeadExplanation:
    runtime = Runtime.create(settings, pooled=False)
    try:
        async with runtime.uow() as uow:
            return await explain_stored_lead(uow, lead_id, partner_id)
    finally:
        await runtime.close()


def _json(data: StoredLeadExplanation) -> str:
    def default(value: Any) -> Any:
        return str(value)

    return json.dumps(asdict(data), default=default, ensure_ascii=False, indent=2)


@command(name="explain")
@click.argument("lead_id", metavar="LEAD", type=LEAD_ID)
@click.option("--partner", "partner_id", metavar="ID", help="Only this partner, in full detail.")
@click.option(
    "--limit",
    default=50,
    type=WholeNumber(0),
    show_default=True,
    help="Partners listed per section (0 = all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the data as JSON instead.")
@pass_settings
def explain_command(
    settings: Settings, lead_id: int, partner_id: str | None, limit: int, as_json: bool
) -> None:
    """Show why each partner was or was not eligible for LEAD, and how they rank.

    The verdicts are computed against the partner directory as it is now (capacity,
    pauses and exclusions may have changed since the lead was offered). The text is in
    the staff language ([staff] language); --json gives the data, reasons in English.
    """
    try:
        data = run_async(_load(settings, lead_id, partner_id))
    except NotFound as exc:
        fail(str(exc))
        return
    except ConfigError as exc:
        fail(str(exc), 2)
        return
    if as_json:
        click.echo(_json(data))
        return
    if partner_id is not None:
        item = data.explanation.partner(partner_id)
        assert item is not None  # explain_stored_lead raised NotFound otherwise
        lines = render_partner(data, item, settings.staff.language)
    else:
        lines = render_summary(data, limit, settings.staff.language)
    click.echo("\n".join(lines))
