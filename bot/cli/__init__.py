"""The ``leadbot`` command. One module per command group; this one wires them together."""

from __future__ import annotations

import click

from bot.cli.common import config_option
from bot.cli.db import migrate_command
from bot.cli.explain import explain_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@config_option
def main() -> None:
    """leadbot: hands the manufacturer's hot leads to the right reseller, in Slack and Telegram."""


main.add_command(migrate_command)
main.add_command(explain_command)
