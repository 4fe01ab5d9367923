"""``leadbot reps invite EMAIL``: a one-time code and deep link that links a rep's Telegram.

The rep opens ``https://t.me/<bot>?start=<code>`` on their phone, presses Start, and from
then on the bot knows them. The code is valid for ``[telegram] link_code_hours`` (or
``--hours``), works once, and is stored only hashed. The bot's username comes from
``[telegram] bot_username``, else from Telegram (``getMe`` with the bot token); without
either, the code is printed with the command to type instead of a link.
"""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import WholeNumber, command, pass_settings, run_async
from bot.cli.directory import reps_group
from bot.cli.importing import fail, first_line, require_database
from bot.config import Settings
from bot.directory.linking import Invite, create_invite
from bot.errors import ServiceError
from bot.handlers.telegram.setup import bot_username
from bot.runtime import Runtime


async def _invite(settings: Settings, email: str, hours: int) -> Invite:
    runtime = Runtime.create(settings, pooled=False)
    try:
        async with runtime.uow() as uow:
            return await create_invite(uow, email, hours)
    finally:
        await runtime.close()


async def _username(settings: Settings) -> tuple[str | None, str | None]:
    """The bot's username and, if it could not be found, why."""
    configured = settings.telegram.bot_username.lstrip("@")
    if configured:
        return configured, None
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    if not token:
        return None, "set [telegram] bot_username (or LEADBOT_TELEGRAM__TOKEN) to get the link"
    try:
        return await bot_username(settings.telegram), None
    except Exception as exc:  # any failure only means "no link printed"
        return None, f"could not ask Telegram for the bot's name ({type(exc).__name__})"


@command(reps_group, name="invite")
@click.argument("email")
@click.option(
    "--hours",
    type=WholeNumber(1, 24 * 90),
    help="How long the code is valid (default: [telegram] link_code_hours).",
)
@pass_settings
def reps_invite(settings: Settings, email: str, hours: int | None) -> None:
    """Print a one-time Telegram link for the rep with EMAIL.

    Send the link to the rep; opening it on the phone and pressing Start links their
    Telegram account. Each invite works once; earlier invites stay valid until they
    expire or are used.
    """
    require_database(settings)
    valid = hours or settings.telegram.link_code_hours
    try:
        invite = run_async(_invite(settings, email, valid))
    except ServiceError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database error, no invitation made: {first_line(exc)}")
    username, problem = run_async(_username(settings))
    expires = invite.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"Invitation for {invite.rep_name} <{invite.rep_email}> ({invite.partner_name})")
    click.echo(f"Code:  {invite.code}")
    if username:
        click.echo(f"Link:  https://t.me/{username}?start={invite.code}")
    else:
        click.echo(f"Link:  (unknown: {problem})")
        click.echo(f"       The rep can also send the bot: /start {invite.code}")
    click.echo(f"Valid until {expires}; works once.")
