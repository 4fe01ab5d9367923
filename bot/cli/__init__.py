"""The ``leadbot`` command. One module per command group; this one wires them together."""

from __future__ import annotations

import click

from bot.cli.cockpit import campaigns_group, cockpit_group
from bot.cli.common import config_option
from bot.cli.console import console_command
from bot.cli.content import content_group
from bot.cli.db import migrate_command
from bot.cli.directory import partners_group, reps_group
from bot.cli.explain import explain_command
from bot.cli.invite import reps_invite  # noqa: F401 - registers `reps invite`
from bot.cli.leads import leads_group
from bot.cli.outbox import outbox_group
from bot.cli.serve import serve_command
from bot.cli.staff import erase_command, report_command
from bot.cli.webhooks import webhooks_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@config_option
def main() -> None:
    """leadbot: hands the manufacturer's hot leads to the right reseller, in Slack and Telegram."""


main.add_command(migrate_command)
main.add_command(partners_group)
main.add_command(reps_group)
main.add_command(leads_group)
main.add_command(serve_command)
main.add_command(console_command)
main.add_command(report_command)
main.add_command(erase_command)
main.add_command(content_group)
main.add_command(explain_command)
main.add_command(outbox_group)
main.add_command(cockpit_group)
main.add_command(campaigns_group)
main.add_command(webhooks_group)
