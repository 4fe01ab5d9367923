"""Hostile requests to ``POST /slack/events``, over real HTTP against the assembled bot.

Unsigned, forged, late or oversized requests get 401/413 before anything is parsed: no
listener runs, nothing is called (a forged ``response_url`` on a loopback receiver gets
nothing), nothing of the body reaches the log. Signed requests of a shape Slack never
sends get 400, never 500. A ``response_url`` off Slack's hooks host is never called,
even in a correctly signed request.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.handlers.slack.gate import MAX_BODY_BYTES, hooks_origin, is_hook
from bot.models import LeadStatus, OutboxMessage, PendingPress, SeenDelivery
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.receiver import Receiver
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack.signing import FORM, sign
from tests.support.logs import assert_clean_log, capture_like_serve
from tests.support.slack_world import PartnerSpec, SlackWorld, slack_settings, slack_world
from tests.support.world import eventually

# Distinctive words in every hostile body: none of them may show up in the log.
MARKERS = ("Zebrafink", "geheim@opfer.example", "+49 170 5550123", "Lindenallee 99")
PARTNER = PartnerSpec("P01", "C0001", "U0001", language="en")


def claim_press(response_url: str, lead_id: int, user: str = "U0001") -> dict[str, Any]:
    """A Claim press carrying a lead card's personal data (as a press on a card does)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "name": "Zebrafink"},
        "team": {"id": "T0001"},
        "api_app_id": "A000000001",
        "trigger_id": "1.2.zebrafink",
        "response_url": response_url,
        "container": {"type": "message", "channel_id": "C0001", "message_ts": "1.1"},
        "message": {"text": " ".join(MARKERS), "type": "message"},
        "actions": [{"type": "button", "action_id": "lead_claim", "value": str(lead_id)}],
    }


def form(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SLACK_SIGNING_SECRET, timestamp, body),
    }


@asynccontextmanager
async def world_with_receiver(
    make_settings: Any, slack_emulator: SlackEmulator
) -> AsyncIterator[tuple[SlackWorld, Receiver, str, int]]:
    settings = slack_settings(make_settings, slack_emulator)
    receiver = Receiver()
    async with receiver.serve() as hook, slack_world(settings, slack_emulator, [PARTNER]) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        yield world, receiver, hook, lead_id


async def _outbox_rows(world: SlackWorld) -> int:
    async with world.bot.runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OutboxMessage)))


async def _stored(world: SlackWorld) -> tuple[int, ...]:
    """How many outbox rows, seen marks and stored presses there are: a refused request
    adds none."""
    async with world.bot.runtime.uow() as uow:
        return tuple(
            [
                int(await uow.session.scalar(select(func.count()).select_from(table)))
                for table in (OutboxMessage, SeenDelivery, PendingPress)
            ]
        )


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert_clean_log(caplog, *MARKERS)


async def test_forged_request_calls_nothing_and_logs_nothing_of_the_body(
    make_settings, slack_emulator, caplog
) -> None:
    """The issue's hole 1: a non-numeric timestamp made leadbot POST to the body's URL."""
    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, hook, lead):
        rows = await _outbox_rows(world)
        body = form(claim_press(hook, lead))
        forged = [
            {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=" + "0" * 64},
            {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=abc"},
            {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=" + "0" * 64},
            {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=" + "0" * 64},
            {},
        ]
        answers = [
            await world.driver.post(body, FORM, {}, signing="missing", headers=headers)
            for headers in forged
        ]
        for signing in ("bad", "stale"):  # wrong secret; correctly signed 10 minutes ago
            answers.append(await world.driver.post(body, FORM, {}, signing=signing))
        assert [a.status for a in answers] == [401] * 7
        assert receiver.received == []
        assert slack_emulator.ephemerals() == []
        assert (await world.lead(lead)).status is LeadStatus.OFFERED
        assert await _outbox_rows(world) == rows
    assert "slack: refused a request (401: the timestamp is not a number)" in caplog.text
    assert_clean(caplog)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=garbage", FORM),
        (b"payload=%5B1%5D", FORM),  # payload=[1]
        (b"null", "application/json"),
        (b"{" * 5000, "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
    ids=["garbage", "array", "null", "deep", "not-utf8"],
)
async def test_unsigned_garbage_is_401_before_it_is_parsed(
    make_settings, slack_emulator, caplog, body: bytes, content_type: str
) -> None:
    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, _, _lead):
        answer = await world.driver.post(body, content_type, {}, signing="missing")
        assert answer.status == 401
        assert receiver.received == []
    assert_clean(caplog)


async def test_oversized_body_is_413_unread(make_settings, slack_emulator, caplog) -> None:
    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, hook, lead):
        press = claim_press(hook, lead)
        press["padding"] = "Zebrafink " * 500_000  # 5 MB
        big = form(press)
        assert len(big) > 5 * MAX_BODY_BYTES
        unsigned = await world.driver.post(big, FORM, {}, signing="missing")
        signed = await world.driver.post(big, FORM, {})
        assert (unsigned.status, signed.status) == (413, 413)
        assert receiver.received == []
    assert_clean(caplog)


def deep(levels: int) -> str:
    """A Claim-press payload with ``levels`` nested objects, as JSON text."""
    inner = '{"child":' * levels + "{}" + "}" * levels
    return '{"type": "block_actions", "actions": [{"action_id": "lead_claim"}], "x": ' + inner + "}"


def form_text(payload: str) -> bytes:
    return urlencode({"payload": payload}).encode()


HOOK = "https://hooks.slack.com/actions/T0001/1/zebrafink"


def event(event_id: str, user: str) -> bytes:
    """An App Home event (leadbot marks its ``event_id`` seen and looks up its ``user``)."""
    inner = {"type": "app_home_opened", "user": user, "tab": "home"}
    envelope = {"type": "event_callback", "team_id": "T0001", "event_id": event_id}
    return json.dumps(envelope | {"event": inner}).encode()


def slash(user_id: str) -> bytes:
    """``/leads help`` as Slack's form (leadbot looks up its ``user_id``)."""
    fields = {"command": "/leads", "text": "help", "team_id": "T0001", "user_id": user_id}
    return urlencode(fields | {"channel_id": "D0001", "trigger_id": "1.2.slash"}).encode()


CLAIM_VALUE_NUL = {"type": "button", "action_id": "lead_claim", "value": "1\x00"}


SIGNED_MALFORMED: dict[str, tuple[bytes, str]] = {
    "payload=garbage": (b"payload=garbage", FORM),
    "array payload": (form([1, 2]), FORM),
    "null payload": (form(None), FORM),
    "JSON null": (b"null", "application/json"),
    "JSON array": (b"[1]", "application/json"),
    "not UTF-8": (b"payload=\xff", FORM),
    "empty actions": (form({"type": "block_actions", "actions": []}), FORM),
    "actions not objects": (form({"type": "block_actions", "actions": [1]}), FORM),
    "action without id": (form({"type": "block_actions", "actions": [{}]}), FORM),
    "1,000-deep nesting": (form_text(deep(1000)), FORM),
    "40-deep nesting": (form_text(deep(40)), FORM),
    "team is a number": (form({"type": "block_actions", "team": 5}), FORM),
    "authorizations": (
        json.dumps({"type": "event_callback", "authorizations": 5}).encode(),
        "application/json",
    ),
    "event is text": (
        json.dumps({"type": "event_callback", "event": "x"}).encode(),
        "application/json",
    ),
    "event without type": (
        json.dumps({"type": "event_callback", "event": {}}).encode(),
        "application/json",
    ),
    "view without callback": (form({"type": "view_submission", "view": {"id": "V1"}}), FORM),
    "user is a list": (form({"type": "block_actions", "user": [1]}), FORM),
    "user.id is a number": (form(claim_press(HOOK, 1) | {"user": {"id": 5}}), FORM),
    # Slack's ids never hold a control character; PostgreSQL refuses a NUL in text.
    "NUL in user.id": (form(claim_press(HOOK, 1, user="U0\x001")), FORM),
    "NUL in trigger_id": (form(claim_press(HOOK, 1) | {"trigger_id": "1.2\x00"}), FORM),
    "NUL in a button value": (form(claim_press(HOOK, 1) | {"actions": [CLAIM_VALUE_NUL]}), FORM),
    "escape in team.id": (form(claim_press(HOOK, 1) | {"team": {"id": "T\x1b[2J"}}), FORM),
    "NUL in event_id": (event("Ev\x00Zebrafink", "U0001"), "application/json"),
    "NUL in event.user": (event("Ev0002", "U\x00"), "application/json"),
    "NUL in a command's user_id": (slash("U\x00"), FORM),
}


@pytest.mark.parametrize("case", list(SIGNED_MALFORMED))
async def test_signed_but_malformed_is_400_never_500(
    make_settings, slack_emulator, caplog, case: str
) -> None:
    capture_like_serve(caplog)
    body, content_type = SIGNED_MALFORMED[case]
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, _, lead):
        stored = await _stored(world)
        answer = await world.driver.post(body, content_type, {})
        assert answer.status == 400, answer.body
        assert answer.body == "malformed Slack request"
        assert receiver.received == []
        assert (await world.lead(lead)).status is LeadStatus.OFFERED
        assert await _stored(world) == stored
    refused = [r for r in caplog.records if "not Slack's shape" in r.getMessage()]
    assert [r.levelname for r in refused] == ["INFO"]
    assert_clean(caplog)


async def test_a_utf16_body_is_named_as_such_in_the_log(
    make_settings, slack_emulator, caplog
) -> None:
    """The operator reading the log learns which encoding the sender used."""
    capture_like_serve(caplog)
    body = json.dumps({"type": "event_callback", "event": {"type": "app_mention"}})
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, _, _lead):
        answer = await world.driver.post(body.encode("utf-16"), "application/json", {})
        assert (answer.status, answer.body) == (400, "malformed Slack request")
        assert receiver.received == []
    [line] = [r.getMessage() for r in caplog.records if "not Slack's shape" in r.getMessage()]
    assert "the body is encoded as UTF-16; JSON must be sent as UTF-8" in line


async def test_random_signed_payloads_never_get_a_server_error(
    make_settings, slack_emulator, caplog
) -> None:
    """A seeded fuzz over the fields Bolt reads: any signed body gets a 2xx or a 4xx."""
    rng = random.Random(15)
    keys = [
        "type",
        "user",
        "team",
        "enterprise",
        "channel",
        "actions",
        "view",
        "event",
        "authorizations",
        "response_url",
        "response_urls",
        "container",
        "message",
        "trigger_id",
        "command",
        "user_id",
        "callback_id",
        "token",
    ]
    types = [
        "block_actions",
        "view_submission",
        "view_closed",
        "event_callback",
        "shortcut",
        "message_action",
        "block_suggestion",
        "url_verification",
        "other",
    ]

    def value(depth: int = 0) -> Any:
        choices: list[Any] = [None, True, 7, -1.5, "", "U0001", "lead_claim", [], {}]
        if depth < 2:
            choices += [
                [value(depth + 1)],
                {rng.choice([*keys, "id", "action_id", "type"]): value(depth + 1)},
            ]
        return rng.choice(choices)

    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, hook, _):
        statuses = []
        for _ in range(120):
            payload = {k: value() for k in rng.sample(keys, rng.randint(1, 6))}
            payload["type"] = rng.choice(types)
            if rng.random() < 0.5:
                payload["response_url"] = hook
            body, ctype = (
                (form(payload), FORM)
                if rng.random() < 0.7
                else (json.dumps(payload).encode(), "application/json")
            )
            statuses.append((await world.driver.post(body, ctype, payload)).status)
        assert all(s < 500 for s in statuses), sorted(set(statuses))
        assert receiver.received == []


async def test_signed_press_naming_a_foreign_response_url_is_not_answered_there(
    make_settings, slack_emulator, caplog
) -> None:
    """Even a correctly signed request cannot make leadbot call a URL off Slack's host."""
    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, hook, lead):
        # A user leadbot does not know: its listener answers through respond().
        answer = await world.driver.post(form(claim_press(hook, lead, user="UNKNOWN1")), FORM, {})
        assert answer.status == 200
        await slack_emulator.wait_for_async(
            lambda: "not answering via a response_url" in caplog.text, 10, "the listener's answer"
        )
        assert receiver.received == []
        assert (await world.lead(lead)).status is LeadStatus.OFFERED
    assert "response_url outside 127.0.0.1" in caplog.text
    assert_clean(caplog)


async def test_a_real_press_is_still_answered_on_slacks_hooks_host(
    make_settings, slack_emulator, caplog
) -> None:
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, _, lead):
        capture_like_serve(caplog)
        trigger, response_url = slack_emulator.new_interaction("UNKNOWN2", "C0001", None)
        press = claim_press(response_url, lead, user="UNKNOWN2") | {"trigger_id": trigger}
        answer = await world.driver.post(form(press), FORM, press)
        assert answer.status == 200
        [told] = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals())
        assert told.via == "response_url"
        assert receiver.received == []
        # Bolt configures loggers per request; the access log must keep working after it.
        await world.post_lead(external_id="crm-after-bolt", **{"contact.email": "a@b.example"})
    assert "POST /slack/events 200" in caplog.text
    assert "POST /api/leads 201" in caplog.text.split("POST /slack/events 200")[1]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/actions/T1/1/abc", True),
        ("https://HOOKS.slack.com:443/commands/T1/1/abc", True),
        ("http://hooks.slack.com/actions/T1/1/abc", False),
        ("https://hooks.slack.com:8443/actions", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://hooks.slack.com@evil.example/actions", False),
        ("https://evil.example\\@hooks.slack.com/actions", False),
        ("https://evil.example/https://hooks.slack.com/", False),
        ("https://hooks.slack.com\n.evil.example/", False),
        ("//hooks.slack.com/actions", False),
        ("https://hooks.slack.com", False),
        (5, False),
        (None, False),
    ],
)
def test_only_slacks_hooks_host_is_a_response_url(url: object, allowed: bool) -> None:
    assert is_hook(url, hooks_origin("https://slack.com/api/")) is allowed


def test_the_hooks_host_follows_the_configured_api_url() -> None:
    assert hooks_origin("https://slack.com/api/") == ("https", "hooks.slack.com", 443)
    assert hooks_origin("https://slack-gov.com/api/") == ("https", "hooks.slack-gov.com", 443)
    assert hooks_origin("http://127.0.0.1:4321/api/") == ("http", "127.0.0.1", 4321)


async def test_a_signed_press_with_an_overlong_trigger_id_is_still_answered(
    make_settings, slack_emulator, caplog
) -> None:
    """The press inbox keys a press by its trigger id; one longer than the key column is
    hashed, so it neither fails to store nor takes the other presses of its batch along."""
    async with world_with_receiver(make_settings, slack_emulator) as (world, _receiver, _, lead):
        _trigger, response_url = slack_emulator.new_interaction("UNKNOWN3", "C0001", None)
        press = claim_press(response_url, lead, user="UNKNOWN3") | {"trigger_id": "7." * 300}
        answer = await world.driver.post(form(press), FORM, press)
        assert answer.status == 200
        [told] = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals())
        assert told.via == "response_url" and "UNKNOWN3" in told.text
        again = await world.driver.post(form(press), FORM, press)  # Slack's retry: same key
        assert again.status == 200
        await world.settled()
        assert len(slack_emulator.ephemerals()) == 1


async def _claimed(world: SlackWorld, lead_id: int) -> bool:
    return (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def _no_presses(world: SlackWorld) -> bool:
    return (await _stored(world))[2] == 0


async def _state(world: SlackWorld, lead_id: int) -> tuple[object, ...]:
    """The lead's and its offer's status, and the rows a change would add."""
    [offer] = await world.offers(lead_id)
    outbox, _seen, presses = await _stored(world)
    return (await world.lead(lead_id)).status, offer.status, outbox, presses


def submission(callback: str, metadata: dict[str, Any], reason: str) -> dict[str, Any]:
    """U0001 submits a modal (a reason chosen) that names ``metadata`` as its
    ``private_metadata`` — which Slack echoes from when leadbot opened the modal."""
    chosen = {"type": "static_select", "selected_option": {"value": reason}}
    return {
        "type": "view_submission",
        "user": {"id": "U0001", "name": "Zebrafink"},
        "team": {"id": "T0001"},
        "api_app_id": "A000000001",
        "trigger_id": f"1.2.{callback}",
        "view": {
            "id": "V0000FORGED",
            "type": "modal",
            "callback_id": callback,
            "private_metadata": json.dumps(metadata),
            "state": {"values": {"reason": {"reason_select": chosen}}},
        },
    }


@pytest.mark.parametrize(
    ("callback", "key", "reason", "forged"),
    [
        ("report_lost", "lead_id", "competitor", 10**20),
        ("report_lost", "lead_id", "competitor", True),
        ("decline_offer", "offer_id", "no_capacity", 10**20),
        ("decline_offer", "offer_id", "no_capacity", True),
    ],
    ids=["lead beyond 64 bits", "lead true", "offer beyond 64 bits", "offer true"],
)
async def test_a_modal_naming_an_id_no_row_can_have_changes_nothing(
    make_settings, slack_emulator, caplog, callback: str, key: str, reason: str, forged: object
) -> None:
    """An id beyond 64 bits in a modal's ``private_metadata`` made the database driver raise
    (a traceback), and JSON's ``true`` counted as id 1: the modal is closed, nothing else."""
    capture_like_serve(caplog)
    async with world_with_receiver(make_settings, slack_emulator) as (world, receiver, _, lead):
        [offer] = await world.offers(lead)
        assert lead == offer.id == 1  # what `true` would name
        if callback == "report_lost":  # a lead is reported on by the rep who claimed it
            await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
            await eventually(lambda: _claimed(world, lead), 10, "the claim")
            # The inbox forgets an answered press in a group commit of its own, a moment after.
            await eventually(lambda: _no_presses(world), 10, "the claim's press forgotten")
        await world.settled()
        before = await _state(world, lead)
        told = len(slack_emulator.ephemerals())
        caplog.clear()

        metadata = {key: forged, "channel": "C0001"}
        answer = await world.driver.send_payload(submission(callback, metadata, reason))

        assert answer.status == 200 and answer.body == ""  # Slack closes the modal
        await world.settled()
        assert await _state(world, lead) == before
        assert len(slack_emulator.ephemerals()) == told and receiver.received == []
    assert f"slack: a modal submission names no valid {key}; nothing changed" in caplog.text
    assert_clean(caplog)
