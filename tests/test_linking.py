"""One-time invitation codes link a chat account to a rep: single use, expiring, hashed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.directory.linking import LinkOutcome, code_hash, create_invite, redeem
from bot.errors import NotAllowed, NotFound
from bot.models import LinkCode, Platform, Rep
from tests.support.factories import add_partner, add_rep


async def _setup(runtime) -> None:
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", name="Alpha GmbH")
        await add_rep(uow, "P1", "anna@alpha.example", name="Anna")
        await add_rep(uow, "P1", "ben@alpha.example", name="Ben", telegram_user_id=555)
        await add_rep(uow, "P1", "old@alpha.example", name="Old", active=False)
        await uow.commit()


async def _rep(runtime, email: str) -> Rep:
    async with runtime.uow() as uow:
        rep = await uow.session.scalar(select(Rep).where(Rep.email == email))
        assert rep is not None
        return rep


async def test_an_invite_links_once_and_is_stored_only_hashed(runtime) -> None:
    await _setup(runtime)
    async with runtime.uow() as uow:
        invite = await create_invite(uow, "  Anna@Alpha.example ", hours=2)
    assert invite.rep_name == "Anna" and invite.partner_name == "Alpha GmbH"
    async with runtime.uow() as uow:
        stored = (await uow.session.scalars(select(LinkCode))).all()
    assert [s.code_hash for s in stored] == [code_hash(invite.code)]
    assert invite.code not in {s.code_hash for s in stored}

    async with runtime.uow() as uow:
        first = await redeem(uow, invite.code, Platform.TELEGRAM, "4242")
    async with runtime.uow() as uow:
        again = await redeem(uow, invite.code, Platform.TELEGRAM, "4243")
    assert first.outcome is LinkOutcome.LINKED and first.rep_name == "Anna"
    assert again.outcome is LinkOutcome.USED
    assert (await _rep(runtime, "anna@alpha.example")).telegram_user_id == 4242


async def test_expired_unknown_and_conflicting_codes_change_nothing(runtime, clock) -> None:
    await _setup(runtime)
    async with runtime.uow() as uow:
        late = await create_invite(uow, "anna@alpha.example", hours=1)
    async with runtime.uow() as uow:
        other = await create_invite(uow, "anna@alpha.example", hours=48)
    clock.advance(hours=2)
    async with runtime.uow() as uow:
        expired = await redeem(uow, late.code, Platform.TELEGRAM, "4242")
    async with runtime.uow() as uow:
        unknown = await redeem(uow, "x" * 22, Platform.TELEGRAM, "4242")
    async with runtime.uow() as uow:  # Telegram user 555 is Ben's already
        taken = await redeem(uow, other.code, Platform.TELEGRAM, "555")
    assert expired.outcome is LinkOutcome.EXPIRED
    assert unknown.outcome is LinkOutcome.UNKNOWN
    assert taken.outcome is LinkOutcome.OTHER_REP
    assert (await _rep(runtime, "anna@alpha.example")).telegram_user_id is None
    async with runtime.uow() as uow:  # the refused code was not consumed
        still = await redeem(uow, other.code, Platform.TELEGRAM, "4242")
    assert still.outcome is LinkOutcome.LINKED


async def test_inviting_unknown_or_inactive_reps_is_refused(runtime) -> None:
    await _setup(runtime)
    async with runtime.uow() as uow:
        with pytest.raises(NotFound, match=r"nobody@alpha\.example"):
            await create_invite(uow, "nobody@alpha.example", hours=2)
    async with runtime.uow() as uow:
        with pytest.raises(NotAllowed, match="inactive"):
            await create_invite(uow, "old@alpha.example", hours=2)
    async with runtime.uow() as uow:
        assert (await uow.session.scalars(select(LinkCode))).all() == []


async def test_relinking_the_same_account_consumes_the_code(runtime) -> None:
    await _setup(runtime)
    async with runtime.uow() as uow:
        invite = await create_invite(uow, "ben@alpha.example", hours=2)
    async with runtime.uow() as uow:
        result = await redeem(uow, invite.code, Platform.TELEGRAM, "555")
    assert result.outcome is LinkOutcome.ALREADY_LINKED and result.ok
