"""Teaser mails to a partner's lead inbox: stopped by the inbox, resumed by staff.

Every teaser mail carries a one-click unsubscribe link (RFC 8058,
:mod:`bot.handlers.email.unsubscribe`). Using it sets ``partners.email_teasers_stopped_at``;
while set, the e-mail channel has no address for the partner's teasers
(:meth:`bot.handlers.email.platform.EmailPlatform.partner_address`) — its chats still get
them. Staff hear of a stop once. Staff undo it with ``leadbot partners email-teasers P
--on`` (and can set it with ``--off``, e.g. after a phone call); a partners import that
gives the partner a *different* address clears it too (that inbox never asked), while the
same address keeps it.

The stop is one conditional ``UPDATE`` (only while not stopped and only for the address
the link was checked against), so of two one-click POSTs at the same moment, in any
process, exactly one stops and tells staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from bot.actors import Actor
from bot.delivery.notices import ToPartner
from bot.directory.availability import partner_or_not_found
from bot.models import Partner
from bot.uow import UnitOfWork


async def stop_by_link(uow: UnitOfWork, partner: Partner) -> bool:
    """The lead inbox ``partner.email`` (as read when its link was checked) unsubscribed.

    True if this stopped it; False if it was stopped already, or the address changed in
    the meantime (nothing is changed then). Commits."""
    changed = await _set(uow, partner.id, stopped=True, address=partner.email)
    if changed:
        await uow.outbox.staff("partner_email_stopped", partner=partner.name)
        await _tell_if_unreached(uow, partner)
    await uow.commit()
    return changed


@dataclass(frozen=True)
class Switched:
    """What :func:`switch` did: ``changed`` False means it was so already."""

    partner: Partner
    changed: bool


async def switch(uow: UnitOfWork, partner_id: str, actor: Actor, *, on: bool) -> Switched:
    """Staff turn teaser mails to ``partner_id``'s lead inbox on or off. Commits.

    NotFound for an unknown partner. Turning on what is on (or off what is off) changes
    nothing and tells nobody."""
    partner = await partner_or_not_found(uow, partner_id)
    changed = await _set(uow, partner.id, stopped=not on)
    if changed:
        await uow.outbox.staff(
            "partner_email_resumed" if on else "partner_email_stopped_by",
            partner=partner.name,
            by=actor.shown,
        )
        if not on:
            await _tell_if_unreached(uow, partner)
    await uow.commit()
    if changed:
        await uow.session.refresh(partner)
    return Switched(partner, changed)


async def resume_on_new_address(uow: UnitOfWork, partner: Partner, address: str | None) -> None:
    """A partners import sets ``address``: a different inbox than the one that
    unsubscribed gets teasers again (staff are told, as for ``--on``); the same one (or
    none) keeps the stop."""
    if partner.email_teasers_stopped_at is None:
        return
    if (address or "").strip().lower() != (partner.email or "").strip().lower():
        partner.email_teasers_stopped_at = None
        await uow.outbox.staff("partner_email_new_address", partner=partner.name)


async def _tell_if_unreached(uow: UnitOfWork, partner: Partner) -> None:
    """Mail stopped, a partner with no chat for its teasers (an e-mail-only partner) is
    still offered leads — matching reads the directory, not the channels — but nobody
    there sees one, so each offer only waits for its wave to end. Staff hear that too,
    with the two ways out. The chats are those this process delivers to; the stop was
    written by one ``UPDATE``, so the partner is read again first."""
    await uow.session.get(Partner, partner.id, populate_existing=True)
    if not await uow.outbox.addresses(ToPartner(partner.id)):
        await uow.outbox.staff("partner_unreached", partner=partner.name, partner_id=partner.id)


async def _set(
    uow: UnitOfWork, partner_id: str, *, stopped: bool, address: str | None = None
) -> bool:
    """Set or clear the stop in one statement; True if this changed the row."""
    column = Partner.email_teasers_stopped_at
    query = update(Partner).where(
        Partner.id == partner_id, column.is_(None) if stopped else column.is_not(None)
    )
    if address is not None:
        query = query.where(Partner.email == address)
    result = await uow.session.execute(
        query.values(
            email_teasers_stopped_at=uow.clock.now() if stopped else None
        ).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
