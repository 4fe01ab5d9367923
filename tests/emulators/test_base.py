"""The shared emulator machinery: lifecycle, waiting, rate-limit buckets, fault matching."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from tests.emulators.fixtures import SLACK_TOKEN
from tests.emulators.limits import LimitRule, RateLimiter
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.telegram.html import ParseError, parse

AUTH = {"Authorization": f"Bearer {SLACK_TOKEN}"}


def post(slack: SlackEmulator, channel: str, text: str) -> dict:
    url = slack.api_url + "chat.postMessage"
    return httpx.post(url, headers=AUTH, json={"channel": channel, "text": text}).json()


def test_lifecycle_and_independent_ports():
    slack = SlackEmulator(token=SLACK_TOKEN)
    with pytest.raises(RuntimeError, match="not started"):
        _ = slack.base_url
    with slack, TelegramEmulator() as telegram:
        assert slack.running and slack.base_url != telegram.base_url
        with pytest.raises(RuntimeError, match="already started"):
            slack.start()
    assert not slack.running
    slack.stop()  # twice is fine


def test_one_emulator_serves_several_event_loops(slack_emulator):
    slack_emulator.add_channel("C1")

    async def send(text: str) -> None:
        async with httpx.AsyncClient() as client:
            url = slack_emulator.api_url + "chat.postMessage"
            await client.post(url, headers=AUTH, json={"channel": "C1", "text": text})

    asyncio.run(send("first loop"))
    asyncio.run(send("second loop"))
    assert [m.text for m in slack_emulator.messages("C1")] == ["first loop", "second loop"]


def test_wait_for_call_sees_calls_made_from_another_thread(slack_emulator):
    slack_emulator.add_channel("C1")
    worker = threading.Thread(target=post, args=(slack_emulator, "C1", "from a thread"))
    worker.start()
    [call] = slack_emulator.wait_for_call("chat.postMessage", channel="C1")
    worker.join()
    assert call.params["text"] == "from a thread" and call.ok


def test_a_wait_that_times_out_says_what_it_waited_for(slack_emulator):
    post(slack_emulator, "C404", "nowhere")
    with pytest.raises(TimeoutError) as raised:
        slack_emulator.wait_for_call("chat.postMessage", channel="C1", timeout=0.2)
    assert "chat.postMessage" in str(raised.value)
    assert "channel_not_found" in str(raised.value)  # the recent calls are listed


async def test_wait_for_async_keeps_the_callers_loop_running(slack_emulator):
    slack_emulator.add_channel("C1")

    waiting = asyncio.Event()

    async def later() -> None:
        await waiting.wait()  # posts only once the test is already waiting for it
        async with httpx.AsyncClient() as client:
            url = slack_emulator.api_url + "chat.postMessage"
            await client.post(url, headers=AUTH, json={"channel": "C1", "text": "later"})

    def arrived():
        waiting.set()
        return slack_emulator.last_message("C1")

    task = asyncio.create_task(later())
    message = await slack_emulator.wait_for_async(arrived)
    await task
    assert message.text == "later"


def test_stopping_ends_hanging_calls_at_once():
    slack = SlackEmulator(token=SLACK_TOKEN, channels=["C1"]).start()
    slack.faults.hang("chat.postMessage", seconds=600)
    results: list[int] = []
    worker = threading.Thread(
        target=lambda: results.append(
            httpx.post(
                slack.api_url + "chat.postMessage",
                headers=AUTH,
                json={"channel": "C1", "text": "x"},
                timeout=60,
            ).status_code
        )
    )
    worker.start()
    slack.wait_for(lambda: slack.calls_in_progress("chat.postMessage"))
    slack.stop()
    worker.join(10)
    assert not worker.is_alive()


def test_faults_can_target_some_parameters_only(slack_emulator):
    slack_emulator.add_channels("C1", "C2")
    slack_emulator.faults.fail("chat.postMessage", when=lambda p: p.get("channel") == "C2")
    assert post(slack_emulator, "C1", "fine")["ok"]
    assert post(slack_emulator, "C2", "broken") == {"ok": False, "error": "fatal_error"}
    assert post(slack_emulator, "C2", "fine again")["ok"]
    assert [c.status for c in slack_emulator.calls("chat.postMessage")] == [200, 500, 200]
    with pytest.raises(ValueError, match="times"):
        slack_emulator.faults.fail("chat.postMessage", times=0)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_call_refused_by_one_bucket_takes_no_token_from_the_others():
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.add(LimitRule("global", 1.0, 2, lambda m, p: "all"))
    limiter.add(LimitRule("per_chat", 1.0, 1, lambda m, p: p["chat"], frozenset({"send"})))
    assert limiter.acquire("send", {"chat": "a"}) is None
    assert limiter.acquire("send", {"chat": "a"}) == pytest.approx(1.0)  # per_chat empty
    assert limiter.acquire("send", {"chat": "b"}) is None  # global still had its token
    assert limiter.acquire("other", {"chat": "c"}) == pytest.approx(1.0)  # global empty now
    clock.now = 1.0
    assert limiter.acquire("send", {"chat": "a"}) is None


def test_rules_are_configurable_and_checked():
    limiter = RateLimiter(Clock())
    limiter.add(LimitRule("per_chat", 1.0, 1, lambda m, p: "x"))
    limiter.set("per_chat", per_second=0.5, burst=3)
    assert [limiter.acquire("m", {}) for _ in range(4)][-1] == pytest.approx(2.0)
    with pytest.raises(KeyError, match="per_chat"):
        limiter.set("nope", burst=1)
    with pytest.raises(ValueError):
        limiter.set("per_chat", burst=0)
    limiter.set("per_chat", enabled=False)
    assert limiter.acquire("m", {}) is None


def test_telegram_html_gives_visible_text_and_utf16_entities():
    text, entities = parse('👍 <b>Neu</b> <a href="https://x.example/?a=1&amp;b=2">Link</a>')
    assert text == "👍 Neu Link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 3},  # the emoji is 2 UTF-16 units
        {"type": "text_link", "offset": 7, "length": 4, "url": "https://x.example/?a=1&b=2"},
    ]
    assert parse("<tg-spoiler>x</tg-spoiler> &#228; & ok")[0] == "x ä & ok"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("a < b", "Unsupported start tag at byte offset 2"),
        ("<b>x</i>", "Unexpected end tag"),
        ("<b>x", 'end tag corresponding to start tag "b"'),
        ('<span class="x">y</span>', 'Unsupported start tag "span"'),
    ],
)
def test_telegram_html_errors_name_the_problem(source, reason):
    with pytest.raises(ParseError, match=reason):
        parse(source)


def test_a_crash_inside_the_emulator_is_reported_not_hidden():
    with SlackEmulator(token=SLACK_TOKEN) as slack:
        slack.faults.fail("auth.test", when=lambda params: 1 / 0)
        answer = httpx.post(slack.api_url + "auth.test", headers=AUTH)
        assert answer.status_code == 500
        assert "ZeroDivisionError" in answer.json()["emulator_internal_error"]
        assert "ZeroDivisionError" in slack.internal_errors[0]


async def test_a_stopped_platform_refuses_connections_and_comes_back_with_its_state():
    from slack_sdk.web.async_client import AsyncWebClient

    slack = SlackEmulator(token=SLACK_TOKEN, channels=["C1"]).start()
    try:
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="before")
        slack.stop()
        with pytest.raises(OSError):  # aiohttp's ClientConnectorError: connection refused
            await client.chat_postMessage(channel="C1", text="while down")
        slack.start()
        await client.chat_postMessage(channel="C1", text="after")
        assert [m.text for m in slack.messages("C1")] == ["before", "after"]
    finally:
        slack.stop()


def test_a_late_answer_comes_after_the_call_took_effect(slack_emulator):
    slack_emulator.add_channel("C1")
    slack_emulator.faults.late("chat.postMessage", seconds=1.0)
    results: list[dict] = []
    worker = threading.Thread(target=lambda: results.append(post(slack_emulator, "C1", "x")))
    worker.start()
    # The message is in the channel while the caller still waits for the answer.
    message = slack_emulator.wait_for(lambda: slack_emulator.last_message("C1"))
    assert message.text == "x" and slack_emulator.calls_in_progress("chat.postMessage")
    assert results == []
    worker.join(10)
    assert results[0]["ok"] and results[0]["ts"] == message.ts
    assert "answer held" in (slack_emulator.last_call("chat.postMessage").fault or "")


def test_a_reshaped_answer_is_what_the_call_returns_after_it_took_effect(slack_emulator):
    slack_emulator.add_channel("C1")
    slack_emulator.faults.reshape("chat.postMessage", lambda body: {"result": body})
    answer = post(slack_emulator, "C1", "x")
    assert set(answer) == {"result"} and answer["result"]["ok"]
    assert slack_emulator.last_message("C1").text == "x"
    assert post(slack_emulator, "C1", "y")["ok"]  # once only


def test_a_call_answered_429_does_not_use_up_a_late_answer(slack_emulator):
    """A "late" post is one that took effect: a rate-limited call never did (the crash
    tests count on every held post being on the platform)."""
    slack_emulator.add_channels("C1", "C2")
    slack_emulator.limits.set("per_channel", burst=1)
    assert post(slack_emulator, "C1", "fills the bucket")["ok"]
    held = slack_emulator.faults.late("chat.postMessage", seconds=0.2)
    assert post(slack_emulator, "C1", "refused") == {"ok": False, "error": "ratelimited"}
    assert held.remaining == 1
    assert post(slack_emulator, "C2", "held, then answered")["ok"]
    assert held.remaining == 0
    assert "answer held" in (slack_emulator.last_call("chat.postMessage").fault or "")
