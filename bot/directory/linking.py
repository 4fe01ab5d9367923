"""Linking a chat account to a rep with a one-time invitation code.

Staff run ``leadbot reps invite EMAIL``; the rep opens the printed deep link (Telegram:
``t.me/<bot>?start=<code>``) and the bot calls :func:`redeem` with the code and the chat
user id. Generic over platforms: the code is for a rep, the platform decides which column
receives the account.

Only the SHA-256 of a code is stored, so a database dump cannot be used to link. A code is
single use (consumed by one conditional UPDATE, so two redeemers racing cannot both win)
and expires after ``[telegram] link_code_hours``. A refused redeem changes nothing: an
unknown, used or expired code, an inactive rep, or a chat account already linked to
another rep.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.handlers import registry
from bot.models import LinkCode, Partner, Platform, Rep
from bot.plaintext import quoted
from bot.uow import UnitOfWork

CODE_BYTES = 16  # 22 URL-safe characters: fits Telegram's 64-character start payload


class LinkOutcome(StrEnum):
    LINKED = "linked"  # the account is now this rep's
    ALREADY_LINKED = "already_linked"  # the account already was this rep's (code consumed)
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    INACTIVE = "inactive"  # the rep (or their partner) is no longer active
    OTHER_REP = "other_rep"  # the account is linked to a different rep


@dataclass(frozen=True)
class Invite:
    """A fresh code; the plain ``code`` exists only here (it is stored hashed)."""

    code: str
    rep_id: int
    rep_name: str
    rep_email: str
    partner_id: str
    partner_name: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    rep_id: int | None = None
    rep_name: str | None = None
    partner_name: str | None = None
    language: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (LinkOutcome.LINKED, LinkOutcome.ALREADY_LINKED)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _account(platform: Platform, user_id: str) -> tuple[InstrumentedAttribute[object], object]:
    """The ``Rep`` column for accounts on ``platform`` and the value to store there."""
    try:
        account = registry.get(platform).account(user_id)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if account is None:
        raise InvalidInput(f"accounts on {platform.value} are not linked by code")
    return account


async def create_invite(uow: UnitOfWork, email: str, hours: int) -> Invite:
    """A new one-time code for the rep with ``email``. Commits.

    Raises NotFound for an unknown e-mail and NotAllowed for an inactive rep or partner.
    Earlier codes of the rep stay valid until they expire or are used.
    """
    if hours < 1:
        raise InvalidInput("an invitation must be valid for at least one hour")
    address = email.strip().lower()
    rep = await uow.session.scalar(select(Rep).where(func.lower(Rep.email) == address))
    if rep is None:
        raise NotFound(f"no rep with e-mail {quoted(email.strip())} (see `leadbot reps import`)")
    partner = await uow.session.get(Partner, rep.partner_id)
    if not rep.active or partner is None or not partner.active:
        raise NotAllowed(f"rep {rep.email} or their partner is inactive; activate them first")
    code = secrets.token_urlsafe(CODE_BYTES)
    now = uow.clock.now()
    expires = now + timedelta(hours=hours)
    uow.session.add(
        LinkCode(code_hash=code_hash(code), rep_id=rep.id, created_at=now, expires_at=expires)
    )
    await uow.commit()
    return Invite(code, rep.id, rep.name, rep.email, partner.id, partner.name, expires)


async def redeem(uow: UnitOfWork, code: str, platform: Platform, user_id: str) -> LinkResult:
    """Link the chat account ``user_id`` on ``platform`` to the rep the code was made for.

    Commits when linked; a refused code changes nothing.
    """
    column, account = _account(platform, user_id)
    digest = code_hash(code)
    session = uow.session
    now = uow.clock.now()
    stored = await session.get(LinkCode, digest)
    if stored is None:
        return LinkResult(LinkOutcome.UNKNOWN)
    if stored.used_at is not None:
        return LinkResult(LinkOutcome.USED)
    if stored.expires_at <= now:
        return LinkResult(LinkOutcome.EXPIRED)
    rep = await session.get(Rep, stored.rep_id)
    partner = await session.get(Partner, rep.partner_id) if rep else None
    if rep is None or partner is None or not rep.active or not partner.active:
        return LinkResult(LinkOutcome.INACTIVE)
    holder = await session.scalar(select(Rep).where(column == account))
    if holder is not None and holder.id != rep.id:
        return LinkResult(LinkOutcome.OTHER_REP)
    consumed = await session.scalar(
        update(LinkCode)
        .where(LinkCode.code_hash == digest, LinkCode.used_at.is_(None), LinkCode.expires_at > now)
        .values(used_at=now)
        .returning(LinkCode.code_hash)
        .execution_options(synchronize_session=False)
    )
    if consumed is None:  # another redeemer consumed it a moment ago
        await uow.rollback()
        return LinkResult(LinkOutcome.USED)
    outcome = LinkOutcome.ALREADY_LINKED if holder is not None else LinkOutcome.LINKED
    setattr(rep, column.key, account)
    try:
        await uow.commit()
    except IntegrityError:  # the account was linked to someone else in the meantime
        return LinkResult(LinkOutcome.OTHER_REP)
    return LinkResult(outcome, rep.id, rep.name, partner.name, rep.language)
