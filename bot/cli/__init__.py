"""The ``leadbot`` command. One module per command group; this one wires them together."""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from bot.cli.cockpit import campaigns_group, cockpit_group
from bot.cli.common import config_option
from bot.cli.console import console_command
from bot.cli.content import content_group
from bot.cli.db import migrate_command
from bot.cli.directory import partners_group, reps_group
from bot.cli.explain import explain_command
from bot.cli.importing import first_line
from bot.cli.invite import reps_invite  # noqa: F401 - registers `reps invite`
from bot.cli.leads import leads_group
from bot.cli.operations import leads_assign  # noqa: F401 - registers the commands
from bot.cli.outbox import outbox_group
from bot.cli.serve import serve_command
from bot.cli.staff import erase_command, report_command
from bot.cli.webhooks import webhooks_group
from bot.config import ConfigError


class LeadbotGroup(click.Group):
    """The ``leadbot`` command: an error a person can act on is said in one line, never as a
    traceback — a setting that cannot be used, a database without (current) tables, a
    database that cannot be reached."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"leadbot: {exc}", err=True)
            sys.exit(2)
        except (OperationalError, ProgrammingError) as exc:
            text = first_line(exc)
            if MISSING_TABLE.search(text):
                click.echo(
                    "leadbot: the database has no tables yet, or not the current ones: run "
                    "`leadbot migrate` first",
                    err=True,
                )
            else:
                click.echo(f"leadbot: database error: {text}", err=True)
            sys.exit(1)
        except DBAPIError as exc:
            click.echo(f"leadbot: cannot use the database: {first_line(exc)}", err=True)
            sys.exit(1)


MISSING_TABLE = re.compile(
    r"no such table|relation .* does not exist|no such column|UndefinedTable"
)


@click.group(cls=LeadbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
