"""``leadbot outbox``: what is waiting to be delivered, and re-queueing failed notices."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlalchemy import and_, func, select, update

from bot.cli.common import command, config_option, pass_settings, run_async
from bot.config import Settings
from bot.models import OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime


@click.group(name="outbox")
@config_option
def outbox_group() -> None:
    """Notices queued for Slack, Telegram, e-mail and the console."""


@command(outbox_group, name="status")
@pass_settings
def outbox_status(settings: Settings) -> None:
    """Counts per platform and state, notices being sent or in doubt, the oldest waiting
    notice, and the last error of failed notices."""

    async def run() -> list[str]:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                now = runtime.clock.now()
                pending = OutboxMessage.status == OutboxStatus.PENDING
                leased = and_(pending, OutboxMessage.locked_until > now)
                sending, doubtful, oldest = (
                    await uow.session.execute(
                        select(
                            func.count().filter(leased),
                            func.count().filter(and_(pending, OutboxMessage.in_doubt)),
                            func.min(OutboxMessage.next_attempt_at).filter(pending),
                        )
                    )
                ).one()
                counts = (
                    await uow.session.execute(
                        select(OutboxMessage.platform, OutboxMessage.status, func.count())
                        .group_by(OutboxMessage.platform, OutboxMessage.status)
                        .order_by(OutboxMessage.platform, OutboxMessage.status)
                    )
                ).all()
                failed = (
                    await uow.session.execute(
                        select(OutboxMessage.id, OutboxMessage.platform, OutboxMessage.last_error)
                        .where(OutboxMessage.status == OutboxStatus.FAILED)
                        .order_by(OutboxMessage.id.desc())
                        .limit(20)
                    )
                ).all()
        finally:
            await runtime.close()
        lines = [f"{platform:<10} {status.value:<8} {n}" for platform, status, n in counts]
        if not lines:
            lines = ["The outbox is empty."]
        if sending:
            lines.append(f"  {sending} being sent now (leased by a running sender)")
        if doubtful:
            lines.append(
                f"  {doubtful} in doubt: a sender stopped mid-send; Slack is searched for the "
                "message before it is posted again, other platforms may show it twice"
            )
        if oldest is not None:
            lines.append(f"  oldest waiting notice due {_ago(now, oldest)}")
        for row_id, platform, error in failed:
            lines.append(f"  failed #{row_id} ({platform}): {error}")
        return lines

    click.echo("\n".join(run_async(run())))


def _ago(now: datetime, then: datetime) -> str:
    """``then`` relative to ``now`` in whole minutes (``in 5 min`` for a later retry)."""
    if then.tzinfo is None:  # SQLite hands back naive UTC
        then = then.replace(tzinfo=UTC)
    minutes = round((now - then).total_seconds() / 60)
    if minutes == 0:
        return "now"
    return f"{minutes} min ago" if minutes > 0 else f"in {-minutes} min"


@command(outbox_group, name="retry")
@click.option(
    "--platform",
    type=click.Choice([p.value for p in Platform]),
    help="Only notices for this platform.",
)
@pass_settings
def outbox_retry(settings: Settings, platform: str | None) -> None:
    """Put failed notices back into the queue (e.g. after inviting the bot to a channel)."""

    async def run() -> int:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                query = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
                if platform is not None:
                    query = query.where(OutboxMessage.platform == platform)
                result = await uow.session.execute(
                    query.values(
                        status=OutboxStatus.PENDING,
                        next_attempt_at=runtime.clock.now(),
                        locked_until=None,
                    ).execution_options(synchronize_session=False)
                )
                await uow.commit()
                await runtime.wake_outbox()
                return int(result.rowcount or 0)  # type: ignore[attr-defined]
        finally:
            await runtime.close()

    click.echo(f"{run_async(run())} failed notice(s) queued again.")
