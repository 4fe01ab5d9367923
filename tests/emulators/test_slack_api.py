"""The real slack_sdk AsyncWebClient works against the Slack emulator."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.fixtures import SLACK_TOKEN
from tests.emulators.slack import SlackEmulator

CLAIM_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*New lead* in DE-BY"}},
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


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_auth_test_answers_with_the_bot_identity(slack_emulator, slack_client):
    answer = await slack_client.auth_test()
    assert answer["user_id"] == slack_emulator.bot_user_id
    assert answer["team_id"] == slack_emulator.team_id
    assert slack_emulator.last_call("auth.test").headers["Authorization"] == f"Bearer {SLACK_TOKEN}"


async def test_a_wrong_token_is_invalid_auth(slack_emulator):
    client = AsyncWebClient(token="xoxb-wrong", base_url=slack_emulator.api_url)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response["error"] == "invalid_auth"


async def test_post_message_stores_text_blocks_and_answers_like_slack(slack_emulator, slack_client):
    slack_emulator.add_channel("C1", "partner-a")
    answer = await slack_client.chat_postMessage(channel="C1", text="New lead", blocks=CLAIM_BLOCKS)
    stored = slack_emulator.last_message("C1")
    assert answer["channel"] == "C1" and answer["ts"] == stored.ts
    assert answer["message"]["blocks"][1]["elements"][0]["action_id"] == "lead_claim"
    assert stored.text == "New lead"
    assert stored.button("lead_claim")["value"] == "offer-1"
    assert "*New lead* in DE-BY" in stored.all_text
    call = slack_emulator.last_call("chat.postMessage", channel="C1")
    assert call.body_format == "json" and call.params["blocks"][0]["type"] == "section"


async def test_channels_are_found_by_name_and_unknown_ones_are_refused(
    slack_emulator, slack_client
):
    slack_emulator.add_channel("C1", "partner-a")
    slack_emulator.add_channel("C2", "outsider", bot_member=False)
    await slack_client.chat_postMessage(channel="#partner-a", text="by name")
    assert slack_emulator.last_message("C1").text == "by name"
    for channel, error in (("C404", "channel_not_found"), ("C2", "not_in_channel")):
        with pytest.raises(SlackApiError) as raised:
            await slack_client.chat_postMessage(channel=channel, text="hi")
        assert raised.value.response["error"] == error
    assert slack_emulator.messages("C2") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_messages_without_content_or_with_broken_blocks_are_refused(
    slack_emulator, slack_client
):
    slack_emulator.add_channel("C1")
    with pytest.raises(SlackApiError, match="no_text"):
        await slack_client.chat_postMessage(channel="C1")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await slack_client.chat_postMessage(channel="C1", text="x", blocks=[{"text": "no type"}])
    assert slack_emulator.messages("C1") == []


async def test_update_keeps_the_edit_history(slack_emulator, slack_client):
    slack_emulator.add_channel("C1")
    posted = await slack_client.chat_postMessage(channel="C1", text="New lead", blocks=CLAIM_BLOCKS)
    taken = [{"type": "section", "text": {"type": "mrkdwn", "text": "Taken"}}]
    answer = await slack_client.chat_update(
        channel="C1", ts=posted["ts"], text="Taken", blocks=taken
    )
    assert answer["ts"] == posted["ts"] and answer["text"] == "Taken"
    stored = slack_emulator.message("C1", posted["ts"])
    assert stored.edited and stored.buttons() == []
    assert stored.history[0].text == "New lead"
    assert stored.history[0].blocks[1]["elements"][0]["action_id"] == "lead_claim"
    with pytest.raises(SlackApiError, match="message_not_found"):
        await slack_client.chat_update(channel="C1", ts="1.000001", text="x")


async def test_ephemeral_messages_are_kept_per_channel_and_user(slack_emulator, slack_client):
    slack_emulator.add_channel("C1", members=["U7", "U8"])
    slack_emulator.add_users("U7", "U8", "U9")
    answer = await slack_client.chat_postEphemeral(channel="C1", user="U7", text="Too late")
    [ephemeral] = slack_emulator.ephemerals("C1", "U7")
    assert ephemeral.ts == answer["message_ts"] and ephemeral.text == "Too late"
    assert slack_emulator.ephemerals("C1", "U8") == []
    with pytest.raises(SlackApiError, match="user_not_in_channel"):
        await slack_client.chat_postEphemeral(channel="C1", user="U9", text="x")
    with pytest.raises(SlackApiError, match="user_not_found"):
        await slack_client.chat_postEphemeral(channel="C1", user="U404", text="x")


async def test_conversations_open_gives_one_dm_channel_per_user(slack_emulator, slack_client):
    slack_emulator.add_user("U7", locale="de-DE")
    first = await slack_client.conversations_open(users="U7")
    again = await slack_client.conversations_open(users=["U7"])
    channel = first["channel"]["id"]
    assert channel.startswith("D") and again["channel"]["id"] == channel
    assert again["already_open"] is True
    await slack_client.chat_postMessage(channel=channel, text="Your lead")
    await slack_client.chat_postMessage(channel="U7", text="Also your DM")
    assert [m.text for m in slack_emulator.dm_messages("U7")] == ["Your lead", "Also your DM"]
    with pytest.raises(SlackApiError, match="user_not_found"):
        await slack_client.conversations_open(users="U404")
    info = await slack_client.users_info(user="U7", include_locale=True)
    assert info["user"]["locale"] == "de-DE"


def modal(title: str = "Report") -> dict:
    return {
        "type": "modal",
        "callback_id": "lead_progress",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "note_input"},
            }
        ],
    }


async def test_views_open_update_and_trigger_rules(slack_emulator, slack_client):
    trigger, _ = slack_emulator.new_interaction("U7", None, None)
    opened = await slack_client.views_open(trigger_id=trigger, view=modal())
    view_id = opened["view"]["id"]
    assert slack_emulator.modal("U7").id == view_id
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await slack_client.views_open(trigger_id=trigger, view=modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await slack_client.views_open(trigger_id="nonsense", view=modal())
    updated = await slack_client.views_update(
        view_id=view_id, hash=opened["view"]["hash"], view=modal("Step 2")
    )
    assert slack_emulator.modal("U7").title == "Step 2"
    assert updated["view"]["hash"] != opened["view"]["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await slack_client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=modal())


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    "blocks",
    [
        [_section("x" * 3001)],
        [_section("")],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "Leads"}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{**CLAIM_BLOCKS[1], "block_id": "b" * 256}],
        [
            {
                "type": "actions",
                "elements": [{**CLAIM_BLOCKS[1]["elements"][0], "value": "v" * 2001}],
            }
        ],
    ],
    ids=[
        "section over 3000",
        "empty section",
        "field over 2000",
        "eleven fields",
        "mrkdwn header",
        "header over 150",
        "eleven context elements",
        "block_id over 255",
        "button value over 2000",
    ],
)
async def test_blocks_beyond_slacks_limits_are_refused(slack_emulator, slack_client, blocks):
    """What Slack documents as its Block Kit limits: a message breaking one is not shown."""
    slack_emulator.add_channel("C1")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await slack_client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    assert slack_emulator.messages("C1") == []
    await slack_client.chat_postMessage(channel="C1", text="x", blocks=[_section("x" * 3000)])


async def test_views_beyond_slacks_limits_are_refused(slack_emulator, slack_client):
    slack_emulator.add_user("U7")
    for view in (
        modal("A title of over 24 letters"),
        {**modal(), "private_metadata": "x" * 3001},
        {**modal(), "blocks": [_section("x")] * 101},
    ):
        trigger, _ = slack_emulator.new_interaction("U7", None, None)
        with pytest.raises(SlackApiError, match="invalid_arguments"):
            await slack_client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        home = {"type": "home", "blocks": [_section("x" * 3001)]}
        await slack_client.views_publish(user_id="U7", view=home)
    assert slack_emulator.modal("U7") is None and slack_emulator.home_view("U7") is None


async def test_a_trigger_expires_after_three_seconds():
    clock = ManualClock()
    with SlackEmulator(token=SLACK_TOKEN, clock=clock) as slack:
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
        trigger, _ = slack.new_interaction("U7", None, None)
        clock.now += 3.5
        with pytest.raises(SlackApiError, match="expired_trigger_id"):
            await client.views_open(trigger_id=trigger, view=modal())
        assert slack.modal("U7") is None


async def test_views_publish_keeps_one_home_per_user(slack_emulator, slack_client):
    slack_emulator.add_user("U7")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "3 open leads"}}
    home = {"type": "home", "blocks": [section]}
    first = await slack_client.views_publish(user_id="U7", view=home)
    home["blocks"][0]["text"]["text"] = "2 open leads"
    second = await slack_client.views_publish(user_id="U7", view=home)
    assert first["view"]["id"] == second["view"]["id"]
    assert slack_emulator.home_view("U7").all_text == "2 open leads"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await slack_client.views_publish(user_id="U404", view=home)


async def test_posting_faster_than_a_message_per_second_gets_429_with_retry_after():
    clock = ManualClock()
    with SlackEmulator(token=SLACK_TOKEN, channels=["C1", "C2"], clock=clock) as slack:
        slack.limits.set("per_channel", burst=2)
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="1")
        await client.chat_postMessage(channel="C1", text="2")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="3")
        assert raised.value.response.status_code == 429
        assert raised.value.response["error"] == "ratelimited"
        assert raised.value.response.headers["Retry-After"] == "1"
        await client.chat_postMessage(channel="C2", text="other channel, own bucket")
        clock.now += 1.0
        await client.chat_postMessage(channel="C1", text="3 again")
        assert [m.text for m in slack.messages("C1")] == ["1", "2", "3 again"]
        assert [c.status for c in slack.calls("chat.postMessage", channel="C1")] == [
            200,
            200,
            429,
            200,
        ]


async def test_injected_faults_fail_the_next_calls_only(slack_emulator, slack_client):
    slack_emulator.add_channel("C1")
    slack_emulator.faults.fail("chat.postMessage", times=2, status=503)
    slack_emulator.faults.error("chat.update", "cant_update_message")
    slack_emulator.faults.rate_limit("chat.postEphemeral", retry_after=7)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await slack_client.chat_postMessage(channel="C1", text="x")
        assert raised.value.response.status_code == 503
    posted = await slack_client.chat_postMessage(channel="C1", text="third time lucky")
    with pytest.raises(SlackApiError, match="cant_update_message"):
        await slack_client.chat_update(channel="C1", ts=posted["ts"], text="y")
    with pytest.raises(SlackApiError) as raised:
        await slack_client.chat_postEphemeral(channel="C1", user="U7", text="z")
    assert raised.value.response.headers["Retry-After"] == "7"
    assert [m.text for m in slack_emulator.messages("C1")] == ["third time lucky"]
    assert slack_emulator.faults.armed == []


async def test_a_hanging_call_times_the_client_out_and_the_next_one_works(slack_emulator):
    slack_emulator.add_channel("C1")
    slack_emulator.faults.hang("chat.postMessage", seconds=30)
    client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack_emulator.api_url, timeout=0.3)
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel="C1", text="slow")
    answer = await client.chat_postMessage(channel="C1", text="fast")
    assert answer["ok"]


def test_form_encoded_bodies_and_token_parameters_work(slack_emulator):
    slack_emulator.add_channel("C1")
    answer = httpx.post(
        slack_emulator.api_url + "chat.postMessage",
        data={"token": SLACK_TOKEN, "channel": "C1", "text": "form", "blocks": "[]"},
    ).json()
    assert answer["ok"] and slack_emulator.last_message("C1").text == "form"
    assert slack_emulator.last_call("chat.postMessage").body_format == "form"
    assert httpx.post(slack_emulator.api_url + "auth.test").json()["error"] == "not_authed"
    unknown = httpx.post(
        slack_emulator.api_url + "chat.nonsense", headers={"Authorization": f"Bearer {SLACK_TOKEN}"}
    ).json()
    assert unknown == {"ok": False, "error": "unknown_method", "req_method": "chat.nonsense"}


async def test_history_returns_messages_newest_first_with_metadata_on_request(
    slack_emulator, slack_client
):
    slack_emulator.limits.disable()
    slack_emulator.add_channel("C1", "partner-a")
    for n in range(5):
        await slack_client.chat_postMessage(
            channel="C1",
            text=f"m{n}",
            metadata={"event_type": "leadbot_outbox", "event_payload": {"outbox_id": n}},
        )
    first = await slack_client.conversations_history(
        channel="C1", limit=2, include_all_metadata=True
    )
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"]
    assert first["messages"][0]["metadata"] == {
        "event_type": "leadbot_outbox",
        "event_payload": {"outbox_id": 4},
    }
    assert first["has_more"] is True
    rest = await slack_client.conversations_history(
        channel="C1", limit=10, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1", "m0"]
    assert rest["has_more"] is False and "metadata" not in rest["messages"][0]  # not asked for
    latest = slack_emulator.last_message("C1").ts
    newer = await slack_client.conversations_history(channel="C1", oldest=latest)
    assert newer["messages"] == []  # oldest is exclusive


async def test_history_refuses_unknown_channels_and_channels_without_the_bot(
    slack_emulator, slack_client
):
    slack_emulator.add_channel("C2", "private", bot_member=False)
    for channel, error in (("C404", "channel_not_found"), ("C2", "not_in_channel")):
        with pytest.raises(SlackApiError) as raised:
            await slack_client.conversations_history(channel=channel)
        assert raised.value.response["error"] == error


async def test_metadata_must_have_an_event_type_and_a_payload(slack_emulator, slack_client):
    slack_emulator.add_channel("C1", "partner-a")
    for metadata in (
        {"event_type": "x"},
        {"event_payload": {}},
        {"event_type": "", "event_payload": {}},
    ):
        with pytest.raises(SlackApiError) as raised:
            await slack_client.chat_postMessage(channel="C1", text="x", metadata=metadata)
        assert raised.value.response["error"] == "invalid_metadata_format"
    assert slack_emulator.messages("C1") == []


async def test_history_is_a_tier_3_method(slack_emulator, slack_client):
    slack_emulator.add_channel("C1", "partner-a")
    for _ in range(50):
        await slack_client.conversations_history(channel="C1")
    with pytest.raises(SlackApiError) as raised:
        await slack_client.conversations_history(channel="C1")
    assert raised.value.response.status_code == 429


async def test_posting_has_a_workspace_ceiling_with_a_generous_burst():
    clock = ManualClock()
    with SlackEmulator(token=SLACK_TOKEN, clock=clock, workspace_burst=3) as slack:
        slack.add_channels(*(f"C{n}" for n in range(4)))
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
        for n in range(3):
            await client.chat_postMessage(channel=f"C{n}", text="x")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C3", text="x")  # a fresh channel, all the same
        assert raised.value.response.status_code == 429
        clock.now += 0.2  # ten a second
        await client.chat_postMessage(channel="C3", text="x")
