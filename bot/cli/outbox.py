"""``leadbot outbox``: what is waiting to be delivered, and re-queueing failed notices."""

from __future__ import annotations

import click
from sqlalchemy import func, or_, select, update

from bot.cli.common import command, config_option, pass_settings, run_async
from bot.cli.moments import moment, relative
from bot.config import Settings
from bot.delivery.holders import Holders, holders
from bot.models import OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime


@click.group(name="outbox")
@config_option
def outbox_group() -> None:
    """Notices queued for Slack, Telegram, e-mail and the console."""


@command(outbox_group, name="status")
@pass_settings
def outbox_status(settings: Settings) -> None:
    """Counts per platform and state, the leases on notices being sent (and which ran
    out), notices in doubt, the oldest waiting notice, and the last error of failed ones."""

    async def run() -> list[str]:
        runtime = Runtime.create(settings)
        try:
            async with runtime.uow() as uow:
                now = runtime.clock.now()
                oldest = await uow.session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        or_(  # a row a sender holds is being sent, not waiting
                            OutboxMessage.locked_until.is_(None),
                            OutboxMessage.locked_until < now,
                        ),
                    )
                )
                held = await holders(uow)
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
        lines += _lease_lines(held)
        if oldest is not None:
            lines.append(f"  oldest waiting notice due {relative(now, oldest)}")
        for row_id, platform, error in failed:
            lines.append(f"  failed #{row_id} ({platform}): {error}")
        return lines

    click.echo("\n".join(run_async(run())))


def _lease_lines(found: Holders) -> list[str]:
    """The notices under a lease, those whose lease ran out, and those in doubt: as the
    next sender treats them (docs/lifecycle.md, "Delivery guarantees")."""
    now, lines = found.now, []
    for lease in found.held:
        doubt = f" ({lease.in_doubt} in doubt)" if lease.in_doubt else ""
        lines.append(
            f"  {lease.platform}: {lease.rows} being sent{doubt}, leased by "
            f"{lease.holder or 'an unnamed sender'} until {moment(now, lease.until)}"
        )
    for lease in found.abandoned:
        lines.append(
            f"  {lease.platform}: {lease.rows} in doubt, leased by "
            f"{lease.holder or 'an unnamed sender'} until {moment(now, lease.until)}: the lease "
            "ran out, that sender stopped mid-send; taken over by the next sender"
        )
    for platform, rows in found.waiting_in_doubt.items():
        lines.append(
            f"  {platform}: {rows} in doubt, waiting for a retry: the outcome of the last "
            "attempt is unknown"
        )
    if found.held:
        lines.append(
            "  a lease names the process that took a notice, not that it still runs: if that "
            "process died, its notices are in doubt once the lease runs out"
        )
    if found.in_doubt:
        lines.append(
            "  in doubt: may already be on the platform; Slack is searched for the message "
            "before it is posted again, other platforms may show it twice"
        )
    return lines


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
