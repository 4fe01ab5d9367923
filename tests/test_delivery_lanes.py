"""Priority lanes: what goes first when a platform's shared limit allows only a few messages.

The transport here has one bucket for the whole platform (like Telegram's 30 messages a
second), five tokens at once, and the clock stands still: each drain sends what five
tokens allow, in the order the sender chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.actors import Actor
from bot.clock import ManualClock
from bot.delivery.notices import Delivery, MessageView, NoticeKind, TeaserView, ToRep
from bot.delivery.sender import OutboxSender
from bot.delivery.transports import RateLimit
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, Platform
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.recording import RecordingTransport

PARTNERS = 12


class SharedLimit(RecordingTransport):
    """Five messages at once for the whole platform, then one every 10 seconds."""

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        return (RateLimit("test:platform", 0.1, 5, shared=True),)


def _lead(n: int, **overrides: Any) -> LeadIn:
    return LeadIn.model_validate(
        lead_payload(
            external_id=f"lane-{n}",
            **{
                "company.name": f"Firma {n}",
                "company.domain": f"firma{n}.example",
                "contact.email": f"c@firma{n}.example",
            },
            **overrides,
        )
    )


async def _partners(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        for n in range(PARTNERS):
            await add_partner(uow, f"P{n:02d}", max_open_leads=50)
        rep = await add_rep(uow, "P00", "anna@p00.example")
        await uow.commit()
        return rep.id


def _kinds(deliveries: list[Delivery]) -> list[str]:
    out = []
    for d in deliveries:
        if isinstance(d.view, TeaserView):
            out.append(f"teaser {d.view.lead_id} {d.address}")
        else:
            assert isinstance(d.view, MessageView)
            out.append(f"{d.view.kind.value} {d.view.event}")
    return out


async def test_a_new_lead_and_urgent_notices_go_before_a_wide_wave(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 600}]}, staff={"language": "en"}
    )
    runtime = Runtime.create(settings, clock=clock)
    try:
        rep_id = await _partners(runtime)
        async with runtime.uow() as uow:  # a wide wave: 12 teasers, then a one-partner lead
            wide = await receive(uow, _lead(1), Actor.system(Channel.API))
            await uow.commit()
        async with runtime.uow() as uow:
            one = await receive(
                uow, _lead(2, **{"consent.allowed_partners": ["P11"]}), Actor.system(Channel.API)
            )
            await uow.outbox.enqueue(
                ToRep(rep_id), NoticeKind.REP_INFO, {"event": "erased", "params": {}}, lead_id=1
            )
            await uow.commit()
        transport = SharedLimit(Platform.CONSOLE)
        sender = OutboxSender(runtime, {Platform.CONSOLE: transport})

        await sender.drain()
        first = _kinds(transport.deliveries)
        assert len(first) == 5
        # Urgent first: the rep's notice and the head of the staff feed.
        assert set(first[:2]) == {"rep_info erased", "staff new_lead"}
        # Then teasers. The wide wave's teaser in P11's channel goes early, because the
        # one-partner lead's teaser waits behind it (one channel keeps its order).
        assert f"teaser {wide.lead_id} partner:P11" in first[2:]

        for _ in range(40):
            clock.advance(seconds=10)
            await sender.drain()
        teasers = _kinds([d for d in transport.deliveries if isinstance(d.view, TeaserView)])
        assert len(teasers) == PARTNERS + 1
        # The one-partner lead is not stuck behind the wide wave: of 13 teasers it is among
        # the first four, not the last.
        assert teasers.index(f"teaser {one.lead_id} partner:P11") < 4
        assert sorted(t for t in teasers if t.startswith(f"teaser {wide.lead_id} ")) == [
            f"teaser {wide.lead_id} partner:P{n:02d}" for n in range(PARTNERS)
        ]
        assert await sender.pending() == 0
    finally:
        await runtime.close()


async def test_lanes_never_reorder_messages_to_one_address(
    runtime: Runtime, clock: ManualClock
) -> None:
    rep_id = await _partners(runtime)
    async with runtime.uow() as uow:
        # Bulk first (a content note), then an urgent reminder, to the same rep.
        await uow.outbox.enqueue(
            ToRep(rep_id), NoticeKind.CONTENT, {"event": "pack", "params": {}}, lead_id=None
        )
        await uow.outbox.enqueue(
            ToRep(rep_id), NoticeKind.REMINDER, {"event": "follow_up", "params": {}}, lead_id=None
        )
        await uow.commit()
    transport = SharedLimit(Platform.CONSOLE)
    await OutboxSender(runtime, {Platform.CONSOLE: transport}).drain()
    assert _kinds(transport.deliveries) == ["content pack", "reminder follow_up"]
