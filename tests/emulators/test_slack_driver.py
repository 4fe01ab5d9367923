"""The Slack driver talks to a real slack_bolt app like Slack does.

The Bolt app below verifies signatures with its own verifier and answers through the
emulator with the real AsyncWebClient: if the driver's requests or the emulator's answers
were off, Bolt would refuse or fail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.emulators.receiver import Receiver, serve_app, serve_asgi
from tests.emulators.slack import SlackDriver, SlackEmulator, sign

TEASER = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Lead in DE-BY"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Claim"},
                "action_id": "lead_claim",
                "value": "offer-1",
            }
        ],
    },
]
NOTE_MODAL = {
    "type": "modal",
    "callback_id": "lead_note",
    "title": {"type": "plain_text", "text": "Progress"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "note_input"},
        },
        {
            "type": "input",
            "block_id": "status",
            "label": {"type": "plain_text", "text": "Status"},
            "element": {
                "type": "static_select",
                "action_id": "status_select",
                "options": [
                    {"text": {"type": "plain_text", "text": t}, "value": t}
                    for t in ("contacted", "meeting")
                ],
            },
        },
    ],
}


def bolt_app(slack: SlackEmulator) -> AsyncApp:
    """A small Bolt app shaped like leadbot's Slack handler."""
    client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
    app = AsyncApp(token=SLACK_TOKEN, signing_secret=SLACK_SIGNING_SECRET, client=client)

    @app.action("lead_claim")
    async def claim(ack, body, respond):
        await ack()
        await respond(replace_original=True, text=f"Claimed by <@{body['user']['id']}>")

    @app.command("/leads")
    async def leads(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=NOTE_MODAL)

    @app.view("lead_note")
    async def note(ack, body, view, client):
        values = view["state"]["values"]
        text = values["note"]["note_input"]["value"]
        if not text:
            await ack(response_action="errors", errors={"note": "Please write a note"})
            return
        await ack()
        status = values["status"]["status_select"]["selected_option"]["value"]
        await client.chat_postMessage(channel=body["user"]["id"], text=f"{status}: {text}")

    @app.event("app_home_opened")
    async def home(event, client):
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "Your open leads"}}
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [section]}
        )

    return app


@pytest.fixture
async def bolt(slack_emulator: SlackEmulator) -> AsyncIterator[SlackDriver]:
    """A Bolt app served on a free port, and a driver aimed at it."""
    slack_emulator.add_channel("C1", "partner-a")
    slack_emulator.add_users("U7", "U8")
    web_app = bolt_app(slack_emulator).web_app(path="/slack/events")
    async with serve_app(web_app, "/slack/events") as url:
        yield slack_emulator.driver(url, SLACK_SIGNING_SECRET)


async def post_teaser(slack: SlackEmulator) -> str:
    client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
    return (await client.chat_postMessage(channel="C1", text="Lead", blocks=TEASER))["ts"]


async def test_pressing_claim_reaches_bolt_and_its_response_url_edits_the_message(bolt):
    slack = bolt.emulator
    ts = await post_teaser(slack)
    response = await bolt.press_button("lead_claim", user="U7", channel="C1")
    assert response.status == 200 and response.elapsed > 0
    payload = response.payload
    assert payload["type"] == "block_actions" and payload["trigger_id"]
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert payload["actions"][0]["value"] == "offer-1"
    assert payload["message"]["ts"] == ts
    await slack.wait_for_async(lambda: slack.message("C1", ts).edited)
    edited = slack.message("C1", ts)
    assert edited.text == "Claimed by <@U7>" and edited.history[0].text == "Lead"
    assert slack.last_call("response_url").params["replace_original"] is True


@pytest.mark.parametrize("signing", ["bad", "stale", "missing"])
async def test_bolt_refuses_badly_signed_requests(bolt, signing):
    slack = bolt.emulator
    ts = await post_teaser(slack)
    response = await bolt.press_button("lead_claim", user="U7", channel="C1", signing=signing)
    assert response.status == 401
    assert not slack.message("C1", ts).edited


async def test_a_button_that_is_not_there_cannot_be_pressed(bolt):
    await post_teaser(bolt.emulator)
    with pytest.raises(LookupError, match="lead_claim"):
        await bolt.press_button("lead_claim", user="U7", channel="C1", value="offer-2")
    with pytest.raises(LookupError):
        await bolt.press_button("lead_release", user="U7", channel="C1")


async def test_slash_command_opens_a_modal_and_submission_is_applied(bolt):
    slack = bolt.emulator
    response = await bolt.slash_command("/leads", "open", user="U7", channel="C1")
    assert response.status == 200
    form = response.payload
    assert form["command"] == "/leads" and form["text"] == "open" and form["response_url"]
    opened = await slack.wait_for_async(lambda: slack.modal("U7"))
    assert opened.callback_id == "lead_note"

    refused = await bolt.submit_view(user="U7", values={"status_select": "meeting"})
    errors = {"note": "Please write a note"}
    assert refused.json() == {"response_action": "errors", "errors": errors}
    assert slack.modal("U7").errors == {"note": "Please write a note"}

    accepted = await bolt.submit_view(
        user="U7", values={"note_input": "Termin am Montag", "status_select": "meeting"}
    )
    values = accepted.payload["view"]["state"]["values"]
    assert values["status"]["status_select"]["selected_option"]["value"] == "meeting"
    assert slack.modal("U7") is None
    dm = await slack.wait_for_async(lambda: slack.dm_messages("U7"))
    assert dm[-1].text == "meeting: Termin am Montag"


async def test_submitting_an_unknown_input_is_a_test_mistake(bolt):
    await bolt.slash_command("/leads", user="U7")
    await bolt.emulator.wait_for_async(lambda: bolt.emulator.modal("U7"))
    with pytest.raises(LookupError, match="no input"):
        await bolt.submit_view(user="U7", values={"nope": "x"})


async def test_app_home_opened_event_publishes_the_home_view(bolt):
    slack = bolt.emulator
    response = await bolt.app_home_opened("U8")
    assert response.status == 200
    assert response.payload["event"]["type"] == "app_home_opened"
    assert response.payload["event_id"].startswith("Ev")
    home = await slack.wait_for_async(lambda: slack.home_view("U8"))
    assert home.all_text == "Your open leads"


async def test_url_verification_is_echoed_by_bolt(bolt):
    response = await bolt.url_verification("abc123")
    assert response.status == 200 and response.json() == {"challenge": "abc123"}


async def test_requests_carry_slacks_signature_and_retry_headers(slack_emulator):
    receiver = Receiver()
    async with receiver.serve() as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        first = await driver.dm_message("U7", "hallo")
        retry = await driver.resend(first, retry_num=2, retry_reason="http_timeout")
        bad = await driver.dm_message("U7", "hallo", signing="bad")
    verifier = SignatureVerifier(SLACK_SIGNING_SECRET)
    good, again, wrong = receiver.received
    for received in (good, again):
        assert verifier.is_valid(
            received.body,
            received.headers["X-Slack-Request-Timestamp"],
            received.headers["X-Slack-Signature"],
        )
    assert not verifier.is_valid(
        wrong.body, wrong.headers["X-Slack-Request-Timestamp"], wrong.headers["X-Slack-Signature"]
    )
    assert again.headers["X-Slack-Retry-Num"] == "2"
    assert again.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert "X-Slack-Retry-Num" not in good.headers
    assert again.json()["event_id"] == good.json()["event_id"] == retry.payload["event_id"]
    assert bad.payload["event_id"] != first.payload["event_id"]
    assert slack_emulator.messages(slack_emulator.dm_channel("U7"))[0].text == "hallo"


def test_signature_matches_slacks_documented_algorithm():
    body = b"token=xyz&team_id=T1"
    expected = hmac.new(b"secret", b"v0:1531420618:" + body, hashlib.sha256).hexdigest()
    assert sign("secret", "1531420618", body) == f"v0={expected}"


async def test_interactions_are_form_encoded_payloads_and_report_the_bots_delay(slack_emulator):
    slack_emulator.add_channel("C1")
    await post_teaser(slack_emulator)
    receiver = Receiver(delay=0.2)
    async with receiver.serve() as url:
        response = await slack_emulator.driver(url, SLACK_SIGNING_SECRET).press_button(
            "lead_claim", user="U9", channel="C1"
        )
    [received] = receiver.received
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    payload = json.loads(parse_qs(received.body.decode())["payload"][0])
    assert payload["user"]["id"] == "U9" and payload["response_url"].startswith(
        slack_emulator.base_url
    )
    assert response.elapsed >= 0.2


async def test_response_url_can_answer_ephemerally_and_in_channel(slack_emulator):
    slack_emulator.add_channel("C1")
    await post_teaser(slack_emulator)
    receiver = Receiver()
    async with receiver.serve() as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        response = await driver.press_button("lead_claim", user="U7", channel="C1")
    response_url = response.payload["response_url"]
    async with httpx.AsyncClient() as client:
        await client.post(response_url, json={"text": "Sorry, already taken"})
        await client.post(response_url, json={"text": "Lead taken", "response_type": "in_channel"})
        await client.post(response_url, json={"delete_original": True})
        await client.post(response_url, json={"text": "4"})
        await client.post(response_url, json={"text": "5"})
        sixth = await client.post(response_url, json={"text": "6"})
    assert sixth.status_code == 404 and sixth.json()["error"] == "used_url"
    ephemerals = slack_emulator.ephemerals("C1", "U7")
    assert [e.text for e in ephemerals] == ["Sorry, already taken", "4", "5"]
    assert ephemerals[0].via == "response_url"
    assert [m.text for m in slack_emulator.messages("C1")] == ["Lead taken"]


async def test_buttons_on_ephemerals_and_in_views_can_be_pressed(slack_emulator, slack_client):
    slack_emulator.add_channel("C1")
    slack_emulator.add_user("U7")
    await slack_client.chat_postEphemeral(channel="C1", user="U7", text="Sure?", blocks=TEASER)
    await slack_client.views_publish(user_id="U7", view={"type": "home", "blocks": TEASER})
    receiver = Receiver()
    async with receiver.serve() as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        on_ephemeral = await driver.press_ephemeral_button("lead_claim", user="U7", channel="C1")
        in_home = await driver.press_view_button("lead_claim", user="U7")
    assert on_ephemeral.payload["container"]["is_ephemeral"] is True
    assert "message" not in on_ephemeral.payload
    assert in_home.payload["container"]["type"] == "view"
    assert in_home.payload["view"]["type"] == "home"
    async with httpx.AsyncClient() as client:
        replace = {"replace_original": True, "text": "Done"}
        await client.post(on_ephemeral.payload["response_url"], json=replace)
    assert [e.text for e in slack_emulator.ephemerals("C1", "U7")] == ["Done"]


async def test_choosing_an_option_in_a_select_on_a_message(slack_emulator, slack_client):
    slack_emulator.add_channel("C1")
    select = {
        "type": "static_select",
        "action_id": "lead_status",
        "options": NOTE_MODAL["blocks"][1]["element"]["options"],
    }
    blocks = [{"type": "actions", "elements": [select]}]
    await slack_client.chat_postMessage(channel="C1", text="Status?", blocks=blocks)
    receiver = Receiver()
    async with receiver.serve() as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        response = await driver.press_button(
            "lead_status", user="U7", channel="C1", option="meeting"
        )
        with pytest.raises(LookupError, match="no option"):
            await driver.press_button("lead_status", user="U7", channel="C1", option="won")
    action = response.payload["actions"][0]
    assert action["type"] == "static_select"
    assert action["selected_option"]["value"] == "meeting"


async def test_bolt_behind_starlette_under_uvicorn(slack_emulator):
    """The shape leadbot's ASGI app takes: Bolt's Starlette adapter, served by uvicorn."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    slack_emulator.add_channel("C1")
    handler = AsyncSlackRequestHandler(bolt_app(slack_emulator))

    async def events(request: Request):
        return await handler.handle(request)

    app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    ts = await post_teaser(slack_emulator)
    async with serve_asgi(app, "/slack/events") as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        assert (await driver.press_button("lead_claim", user="U7", channel="C1")).status == 200
        assert (
            await driver.press_button("lead_claim", user="U7", channel="C1", signing="bad")
        ).status == 401
    assert slack_emulator.message("C1", ts).text == "Claimed by <@U7>"


def _overflow(*values: str) -> dict:
    return {
        "type": "overflow",
        "action_id": "lead_more",
        "options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values],
    }


async def test_picking_an_overflow_option_among_several_menus(slack_emulator, slack_client):
    """Two cards, each with its "⋯" menu: the driver picks the menu offering the option and
    sends what Slack sends — the overflow element with its ``selected_option``."""
    slack_emulator.add_channel("C1")
    for lead in ("1", "2"):
        blocks = [{"type": "actions", "elements": [_overflow(f"lost:{lead}", f"hand_back:{lead}")]}]
        await slack_client.chat_postMessage(channel="C1", text=f"Lead {lead}", blocks=blocks)
    first, second = slack_emulator.bot_messages("C1")
    receiver = Receiver()
    async with receiver.serve() as url:
        driver = slack_emulator.driver(url, SLACK_SIGNING_SECRET)
        response = await driver.press_button("lead_more", user="U7", channel="C1", option="lost:1")
        with pytest.raises(LookupError, match="no option"):
            await driver.press_button("lead_more", user="U7", channel="C1", option="won:1")
    action = response.payload["actions"][0]
    assert action["type"] == "overflow" and action["action_id"] == "lead_more"
    assert action["selected_option"] == {
        "text": {"type": "plain_text", "text": "lost:1"},
        "value": "lost:1",
    }
    assert response.payload["container"]["message_ts"] == first.ts != second.ts


@pytest.mark.parametrize(
    "menu",
    [
        _overflow("only-one"),
        _overflow(*(f"o{n}" for n in range(6))),
        _overflow("ok", "x" * 76),
    ],
    ids=["one option", "six options", "value too long"],
)
async def test_overflow_menus_slack_would_refuse_are_refused(slack_emulator, slack_client, menu):
    slack_emulator.add_channel("C1")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        blocks = [{"type": "actions", "elements": [menu]}]
        await slack_client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    assert slack_emulator.messages("C1") == []
