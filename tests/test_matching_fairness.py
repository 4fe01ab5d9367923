"""Fairness: comparable partners take turns; a clearly better partner still comes first.

The pure part (the score component and the waited-longest tie-break) is checked on
profiles; the service part on the database: equal partners get the first wave in turn,
and ``explain`` shows the component.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.explain.service import explain_stored_lead
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.matching import Recent, explain, rank
from bot.models import Channel, Offer
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.profiles import BERLIN, MUNICH, lead, matching_settings, partner


def test_a_partner_that_got_much_lately_scores_lower_than_a_comparable_one() -> None:
    partners = [partner("BUSY"), partner("IDLE")]
    recent = {"BUSY": Recent(offers=8, wins=2, last_offer=1000.0)}
    ranking = rank(lead(), partners, frozenset(), matching_settings(), recent)
    assert ranking.ids == ["IDLE", "BUSY"]
    busy = explain(lead(), partners[0], frozenset(), matching_settings(), recent=recent)
    idle = explain(lead(), partners[1], frozenset(), matching_settings(), recent=recent)
    assert idle.components["fairness"] == 1.0
    assert busy.components["fairness"] < 0.5  # (8 + 3·2) / 5 → 1 / (1 + 2.8)
    assert busy.score < idle.score


def test_a_clearly_better_partner_still_gets_the_first_wave() -> None:
    near = partner("NEAR", lat=MUNICH[0], lon=MUNICH[1], tier="platinum")
    far = partner("FAR", lat=BERLIN[0], lon=BERLIN[1], tier="registered")
    recent = {"NEAR": Recent(offers=6, wins=1, last_offer=1000.0)}  # it had its share lately
    ranking = rank(lead(), [near, far], frozenset(), matching_settings(), recent)
    assert ranking.ids[0] == "NEAR"


def test_ties_go_to_who_waited_longest_not_to_the_partner_id() -> None:
    partners = [partner("A"), partner("B"), partner("C")]
    settings = matching_settings(weights={"load": 0.0}, fairness=0.0)  # only ties remain
    waited = {"A": Recent(last_offer=300.0), "B": Recent(last_offer=100.0)}  # C: never
    with_fairness = matching_settings()
    assert rank(lead(), partners, frozenset(), settings).ids == ["A", "B", "C"]  # off: by id
    even = {pid: Recent(offers=1, last_offer=t.last_offer) for pid, t in waited.items()}
    even["C"] = Recent(offers=1, last_offer=50.0)
    assert rank(lead(), partners, frozenset(), with_fairness, even).ids == ["C", "B", "A"]


async def test_equal_partners_take_turns_in_the_first_wave(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(
        distribution={"waves": [{"size": 1, "minutes": 60}, {"size": 0, "minutes": 600}]},
        products=[{"id": "X200", "line": "X-series"}],
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        for pid in ("P1", "P2", "P3"):
            await add_partner(uow, pid)
            await add_rep(uow, pid, f"rep@{pid.lower()}.example")
        await uow.commit()
    first_waves = []
    for n in range(6):
        clock.advance(minutes=5)
        payload = lead_payload(
            external_id=f"crm-{n}",
            **{"company.domain": f"f{n}.example", "contact.email": f"a@f{n}.example"},
        )
        async with runtime.uow() as uow:
            result = await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
            await uow.commit()
            offer = await uow.session.scalar(
                select(Offer).where(Offer.lead_id == result.lead_id, Offer.wave == 1)
            )
            assert offer is not None
            first_waves.append(offer.partner_id)
    assert first_waves == ["P1", "P2", "P3", "P1", "P2", "P3"]
    async with runtime.uow() as uow:
        shown = await explain_stored_lead(uow, result.lead_id, "P1")
    item = shown.explanation.partner("P1")
    assert item is not None and 0 < item.components["fairness"] < 1
    await runtime.close()
