"""``leadbot serve`` killed with SIGKILL while Claim presses are in flight, and started again.

The bot runs as a real process against the Slack and Telegram emulators (served from the
test process, so they outlive the crash like the real platforms). Twenty reps press Claim
on a lead's teaser in Telegram (webhook), all at once, and the process is killed; after a
restart twenty more press on another lead's teaser in Slack and it is killed again. The
emulators hold the first answers to the pressers (``answerCallbackQuery``, the
``response_url``), so those presses are certainly in the middle of being processed when
the process dies. After each restart the platform delivers again what got no 200
(Telegram re-sends the update, Slack retries the request). A Slack press is acknowledged
once it is stored (the press inbox), so the crash finds presses acknowledged and not yet
answered: the restarted process takes them up when their lease has run out.

What must hold: every press ends up acknowledged; both leads are decided in the database
(one winner each); and every presser was answered — an answer to their press, or, for
the winner whose answer died with the process, the lead card through the outbox.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.models import Lead, LeadStatus, Offer, Rep
from tests.emulators.fixtures import SLACK_SIGNING_SECRET, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.slack import SlackDriver, SlackEmulator
from tests.emulators.telegram import TelegramDriver, TelegramEmulator
from tests.support.cli import db_session
from tests.support.databases import REDIS_URL
from tests.support.fanout import (
    FanoutWorld,
    channel,
    fanout_world,
    group,
    rep_user,
    telegram_user,
)
from tests.support.serveproc import Server

PARTNERS = 20
HELD = 3  # answers per platform the emulators hold (until after the crash)
HOLD_SECONDS = 600  # longer than the test: a held answer never arrives by itself
REDELIVERY_ROUNDS = 5


def offers(world: FanoutWorld, lead_id: int) -> dict[int, int]:
    """Partner number -> the id of its offer of ``lead_id``."""
    with db_session(world.database_url) as session:
        rows = session.execute(
            select(Offer.partner_id, Offer.id).where(Offer.lead_id == lead_id)
        ).all()
    return {int(partner[1:]): offer_id for partner, offer_id in rows}


def owner(world: FanoutWorld, lead_id: int) -> tuple[LeadStatus, int | None]:
    """The lead's status and the partner number of its owner."""
    with db_session(world.database_url) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.status, int(lead.owner_partner_id[1:]) if lead.owner_partner_id else None


def in_background(job: Callable[[], Awaitable[Any]]) -> tuple[threading.Thread, list[Any]]:
    """Run ``job`` in an event loop of its own thread (the presses stay in flight while this
    thread kills the server); its result lands in the returned list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(job())), daemon=True)
    thread.start()
    return thread, result


def crash_in_flight(
    world: FanoutWorld,
    server: Server,
    presses: Callable[[], Awaitable[Any]],
    platform: SlackEmulator | TelegramEmulator,
    answer: str,
) -> None:
    """Press in the background while ``platform`` holds the first ``answer`` calls; once
    they are being waited for, kill the server."""
    held = platform.faults.hang(answer, HOLD_SECONDS, times=HELD)
    thread, _ = in_background(presses)
    platform.wait_for(lambda: held.remaining == 0, 30, f"held {answer} calls")
    world.kill(server)
    thread.join(30)


def aim(tg: TelegramDriver, sl: SlackDriver, server: Server) -> None:
    """Point both platforms' deliveries at the (restarted) server."""
    tg.webhook_url = f"{server.url}/telegram/webhook"
    sl.request_url = f"{server.url}/slack/events"


def redeliver(driver: TelegramDriver | SlackDriver) -> None:
    """Deliver what got no 200 again, as the platform does, until it is acknowledged."""
    for _ in range(REDELIVERY_ROUNDS):
        if not driver.unacknowledged():
            return
        asyncio.run(driver.redeliver_unacknowledged())


def test_presses_in_flight_at_a_crash_are_decided_and_answered_after_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    # With Redis, as several processes run: "seen" must not live there apart from the work.
    redis = {"url": REDIS_URL, "key_prefix": f"leadbot-test:{uuid.uuid4().hex}:"}
    with fanout_world(
        database_url, tmp_path, PARTNERS, telegram_reps=True, settings={"redis": redis}
    ) as world:
        slack, telegram = world.slack, world.telegram
        assert slack is not None and telegram is not None
        for n in range(PARTNERS):  # every rep has opened the private chat with the bot
            telegram.add_user(telegram_user(n), f"Rep{n}", language_code="en")
            telegram.start_user(telegram_user(n))
        with db_session(database_url) as session:
            session.execute(update(Rep).values(telegram_started_at=datetime.now(UTC)))
            session.commit()

        def slack_answered(n: int) -> bool:
            """Told the outcome of their press, or (the winner) sent the lead card."""
            if slack.ephemerals(channel(n), rep_user(n)):
                return True
            dm = slack.dm_messages(rep_user(n))
            return any("Prospect 1 GmbH" in m.all_text for m in dm)

        with world.serving() as first:
            slack_lead = world.post_lead(first, 1)
            slack.wait_for(lambda: world.slack_reached() == PARTNERS, 30, "the Slack teasers")
            telegram.wait_for(lambda: world.telegram_reached() == PARTNERS, 30, "the teasers")
            telegram_lead = world.post_lead(first, 2)
            telegram.wait_for(
                lambda: all(world.telegram_teasers(n) >= 2 for n in range(PARTNERS)),
                30,
                "the second teasers",
            )
            slack_offers, telegram_offers = offers(world, slack_lead), offers(world, telegram_lead)
            tg = TelegramDriver(
                telegram,
                webhook_url=f"{first.url}/telegram/webhook",
                secret_token=TELEGRAM_WEBHOOK_SECRET,
            )
            sl = SlackDriver(slack, f"{first.url}/slack/events", SLACK_SIGNING_SECRET)

            async def press_telegram(n: int) -> Any:
                data = f"claim:{telegram_offers[n]}"
                teaser = next(
                    m
                    for m in telegram.bot_messages(group(n))
                    if any(b.get("callback_data") == data for b in m.buttons())
                )
                return await tg.press_button(telegram_user(n), teaser, data)

            async def press_slack(n: int) -> Any:
                offer = str(slack_offers[n])
                return await sl.press_button(
                    "lead_claim", user=rep_user(n), channel=channel(n), value=offer
                )

            async def all_of(press: Callable[[int], Awaitable[Any]]) -> list[Any]:
                return list(await asyncio.gather(*(press(n) for n in range(PARTNERS))))

            # Telegram's presses die with the first process, Slack's with the second: a
            # held answer keeps its press in flight only so long (the Telegram client's
            # read timeout, Slack's ack deadline), so each crash follows its own presses.
            crash_in_flight(
                world, first, lambda: all_of(press_telegram), telegram, "answerCallbackQuery"
            )
        assert len(tg.unacknowledged()) >= 1, "the crash caught Telegram presses in flight"

        with world.serving() as second:
            aim(tg, sl, second)
            redeliver(tg)
            crash_in_flight(world, second, lambda: all_of(press_slack), slack, "response_url")
        unanswered_at_crash = [n for n in range(PARTNERS) if not slack_answered(n)]
        assert len(unanswered_at_crash) >= 1, "the crash caught Slack presses in flight"

        with world.serving() as third:
            aim(tg, sl, third)
            redeliver(sl)
            assert tg.unacknowledged() == [] and sl.unacknowledged() == []
            slack.wait_for(  # the stored presses, once their lease (10 s) has run out
                lambda: all(slack_answered(n) for n in range(PARTNERS)), 60, "Slack answers"
            )
            slack.wait_for(
                lambda: world.pending("slack") + world.pending("telegram") == 0, 30, "outbox"
            )
            assert third.stop(signal.SIGTERM) == 0

        slack_status, slack_winner = owner(world, slack_lead)
        telegram_status, telegram_winner = owner(world, telegram_lead)
        assert slack_status is telegram_status is LeadStatus.CLAIMED
        assert slack_winner is not None and telegram_winner is not None

        def telegram_answered(n: int, query_ids: set[str]) -> bool:
            answers = telegram.callback_answers(telegram_user(n))
            if any(a.callback_query_id in query_ids for a in answers):
                return True
            private = telegram.bot_messages(telegram_user(n))
            return n == telegram_winner and any("Prospect 2 GmbH" in m.plain_text for m in private)

        query_ids: dict[int, set[str]] = {}
        for delivered in tg.delivered:
            query = delivered.update["callback_query"]
            query_ids.setdefault(int(query["from"]["id"]) - telegram_user(0), set()).add(
                query["id"]
            )
        unanswered_slack = [n for n in range(PARTNERS) if not slack_answered(n)]
        unanswered_telegram = [n for n in range(PARTNERS) if not telegram_answered(n, query_ids[n])]
        assert unanswered_slack == [] and unanswered_telegram == [], (
            unanswered_slack,
            unanswered_telegram,
        )


def test_presses_unfinished_at_a_graceful_stop_are_handed_back_at_once(
    database_url: str, tmp_path: Path
) -> None:
    """SIGTERM (a deploy, a scale-down) while stored presses are being answered: the process
    hands them back as it stops, and the next process answers them at once — it need not
    wait for their leases (10 s) to run out."""
    partners = 3
    with fanout_world(database_url, tmp_path, partners) as world:
        slack = world.slack
        assert slack is not None
        with world.serving() as first:
            lead = world.post_lead(first, 1)
            slack.wait_for(lambda: world.slack_reached() == partners, 30, "the teasers")
            lead_offers = offers(world, lead)
            held = slack.faults.hang("response_url", HOLD_SECONDS, times=partners)
            driver = SlackDriver(slack, f"{first.url}/slack/events", SLACK_SIGNING_SECRET)

            async def press_all() -> list[Any]:
                return list(
                    await asyncio.gather(
                        *(
                            driver.press_button(
                                "lead_claim",
                                user=rep_user(n),
                                channel=channel(n),
                                value=str(lead_offers[n]),
                            )
                            for n in range(partners)
                        )
                    )
                )

            answers = asyncio.run(press_all())
            assert [a.status for a in answers] == [200] * partners  # stored, acknowledged
            slack.wait_for(lambda: held.remaining == 0, 30, "the held answers")
            assert first.stop(signal.SIGTERM) == 0
        assert f"handed back {partners} unfinished press(es)" in first.output

        with world.serving() as second:
            slack.wait_for(
                lambda: all(slack.ephemerals(channel(n), rep_user(n)) for n in range(partners)),
                8,  # under the 10 s lease: handed back, not expired
                "every presser answered by the next process",
            )
            assert second.stop(signal.SIGTERM) == 0
        status, winner = owner(world, lead)
        assert status is LeadStatus.CLAIMED and winner is not None
