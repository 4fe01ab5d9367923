"""The Slack outbox transport against the Slack emulator: posts, DMs, edits, failures."""

from __future__ import annotations

import pytest

from bot.config import SlackSettings
from bot.coordination import LocalCoordination
from bot.delivery.notices import Delivery, LeadCardView, MessageRef
from bot.delivery.transports import DeliveryError
from bot.handlers.slack.setup import web_client
from bot.handlers.slack.transport import SlackTransport
from bot.models import LeadStatus, Platform
from tests.emulators.fixtures import SLACK_TOKEN
from tests.emulators.slack import SlackEmulator
from tests.test_slack_blocks import card, content_view, teaser_view


def transport(slack: SlackEmulator, **settings: object) -> SlackTransport:
    config = SlackSettings(enabled=True, api_url=slack.api_url, bot_token=SLACK_TOKEN, **settings)
    return SlackTransport(web_client(config, retries=False), config, LocalCoordination())


def delivery(
    view, address: str, edit: MessageRef | None = None, outbox_id: int = 1, **more: object
) -> Delivery:
    return Delivery(outbox_id, Platform.SLACK, address, view, edit, **more)  # type: ignore[arg-type]


async def test_teaser_is_posted_and_later_edited_through_its_reference(slack_emulator) -> None:
    slack_emulator.add_channel("C1", "partner-a")
    slack = transport(slack_emulator)
    ref = await slack.deliver(delivery(teaser_view(), "C1"))
    assert ref is not None and ref.chat_id == "C1"
    posted = slack_emulator.last_message("C1")
    assert posted is not None and posted.button("lead_claim", "17")

    again = await slack.deliver(delivery(teaser_view(closed="taken"), "C1", edit=ref))
    edited = slack_emulator.message("C1", posted.ts)
    assert again == ref and edited.edited and edited.buttons() == []
    assert "Taken" in edited.all_text


async def test_a_channel_named_by_its_name_is_edited_by_its_id(slack_emulator) -> None:
    slack_emulator.add_channel("C9", "partner-b")
    slack = transport(slack_emulator)
    ref = await slack.deliver(delivery(teaser_view(), "#partner-b"))
    assert ref is not None and ref.chat_id == "#partner-b" and ref.message_id.startswith("C9:")
    await slack.deliver(delivery(teaser_view(closed="expired"), "#partner-b", edit=ref))
    assert "Expired" in slack_emulator.last_message("C9").all_text  # type: ignore[union-attr]


async def test_direct_messages_open_the_dm_once_and_edit_in_place(slack_emulator) -> None:
    slack_emulator.add_user("U7")
    slack = transport(slack_emulator)
    ref = await slack.deliver(delivery(card(), "U7"))
    await slack.deliver(delivery(content_view(items=1, body_chars=100), "U7", outbox_id=2))
    assert ref is not None and ref.chat_id == "U7"
    dm = slack_emulator.dm_channel("U7")
    assert ref.message_id.startswith(f"{dm}:")
    assert len(slack_emulator.calls("conversations.open")) == 1
    assert [m.text for m in slack_emulator.dm_messages("U7")][1].startswith("Sales kit")

    won = LeadCardView(4, LeadStatus.CONTACTED, "contacted", card().lead, ("meeting",), "en")
    await slack.deliver(delivery(won, "U7", edit=ref))
    first = slack_emulator.dm_messages("U7")[0]
    assert first.edited and [b["action_id"] for b in first.buttons()] == ["lead_meeting"]


async def test_rate_limit_becomes_retry_after(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack_emulator.faults.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        await transport(slack_emulator).deliver(delivery(teaser_view(), "C1"))
    assert caught.value.retry_after == 7 and not caught.value.permanent
    assert slack_emulator.bot_messages("C1") == []


@pytest.mark.parametrize(
    ("arm", "permanent"),
    [
        (lambda s: s.faults.error("chat.postMessage", "is_archived"), True),
        (lambda s: s.faults.error("chat.postMessage", "account_inactive"), True),
        (lambda s: s.faults.fail("chat.postMessage", status=503), False),
        (lambda s: s.faults.error("chat.postMessage", "internal_error"), False),
    ],
)
async def test_failures_are_permanent_or_retryable(slack_emulator, arm, permanent) -> None:
    slack_emulator.add_channel("C1")
    arm(slack_emulator)
    with pytest.raises(DeliveryError) as caught:
        await transport(slack_emulator).deliver(delivery(teaser_view(), "C1"))
    assert caught.value.permanent is permanent


async def test_unknown_channel_and_bot_not_in_channel_are_permanent(slack_emulator) -> None:
    slack_emulator.add_channel("C2", bot_member=False)
    slack = transport(slack_emulator)
    for address in ("C404", "C2"):
        with pytest.raises(DeliveryError) as caught:
            await slack.deliver(delivery(teaser_view(), address))
        assert caught.value.permanent


async def test_slack_down_is_retryable(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack = transport(slack_emulator)
    slack_emulator.stop()
    try:
        with pytest.raises(DeliveryError) as caught:
            await slack.deliver(delivery(teaser_view(), "C1"))
        assert not caught.value.permanent
    finally:
        slack_emulator.start()
    assert await slack.deliver(delivery(teaser_view(), "C1")) is not None


async def test_a_long_pack_interrupted_by_a_rate_limit_continues_without_duplicates(
    slack_emulator,
) -> None:
    slack_emulator.add_user("U7")
    slack = transport(slack_emulator)
    # a kit without an outbox ref is sent in full: 16 long items take several messages
    pack = delivery(content_view(items=16, body_chars=3000), "U7", outbox_id=5)
    slack_emulator.faults.rate_limit(
        "chat.postMessage", retry_after=1, when=lambda p: "(2/" in str(p.get("text"))
    )
    with pytest.raises(DeliveryError):
        await slack.deliver(pack)
    assert len(slack_emulator.dm_messages("U7")) == 1
    ref = await slack.deliver(pack)
    messages = slack_emulator.dm_messages("U7")
    texts = [m.text for m in messages]
    assert len(texts) == len(set(texts)) >= 2 and "(1/" in texts[0]
    assert ref is not None and ref.message_id.endswith(messages[0].ts)


async def test_a_teaser_deleted_in_slack_needs_no_edit_and_a_lost_card_is_posted_again(
    slack_emulator,
) -> None:
    slack_emulator.add_channel("C1")
    slack_emulator.add_user("U7")
    slack = transport(slack_emulator)
    teaser_ref = MessageRef("C1", "C1:999.000")
    assert await slack.deliver(delivery(teaser_view(closed="taken"), "C1", teaser_ref)) == (
        teaser_ref
    )
    assert slack_emulator.bot_messages("C1") == []
    card_ref = MessageRef("U7", f"{slack_emulator.dm_channel('U7')}:999.000")
    await slack.deliver(delivery(card(), "U7", card_ref))
    assert "Brauerei Huber" in slack_emulator.dm_messages("U7")[0].all_text


def test_rate_limits_follow_the_settings(slack_emulator) -> None:
    slack = transport(
        slack_emulator,
        per_channel_per_second=0.5,
        burst=2,
        workspace_per_second=8,
        workspace_burst=40,
    )
    channel, workspace = slack.rate_limits("C1")
    assert (channel.per_second, channel.burst, channel.shared) == (0.5, 2, False)
    assert "C1" in channel.bucket
    # One bucket for the whole workspace, shared by every channel.
    assert (workspace.per_second, workspace.burst, workspace.shared) == (8, 40, True)
    assert slack.rate_limits("C2")[1] == workspace
    # Edits (chat.update, Tier 3): about 50 a minute for the workspace, not per channel.
    [edits] = slack.rate_limits("C1", edit=True)
    assert (edits.per_second * 60, edits.burst) == (50, 50) and "C1" not in edits.bucket


def _outbox_ids(slack_emulator: SlackEmulator, channel: str) -> list[tuple[int, int]]:
    found = []
    for message in slack_emulator.bot_messages(channel):
        assert message.metadata is not None and message.metadata["event_type"] == "leadbot_outbox"
        payload = message.metadata["event_payload"]
        found.append((payload["outbox_id"], payload["part"]))
    return found


async def test_every_message_names_its_outbox_row_in_its_metadata(slack_emulator) -> None:
    slack_emulator.limits.disable()
    slack_emulator.add_channel("C1")
    slack_emulator.add_user("U7")
    slack = transport(slack_emulator)
    await slack.deliver(delivery(teaser_view(), "C1", outbox_id=11))
    await slack.deliver(delivery(content_view(items=16, body_chars=3000), "U7", outbox_id=12))
    assert _outbox_ids(slack_emulator, "C1") == [(11, 0)]
    parts = _outbox_ids(slack_emulator, slack_emulator.dm_channel("U7"))
    assert len(parts) >= 2 and parts == [(12, n) for n in range(len(parts))]


async def test_a_row_in_doubt_that_reached_slack_is_not_posted_again(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack = transport(slack_emulator)
    first = await slack.deliver(delivery(teaser_view(), "C1", outbox_id=21))
    await slack.deliver(delivery(teaser_view(), "C1", outbox_id=22))
    # The process died after Slack took row 22: the next one finds it instead of posting.
    again = await slack.deliver(delivery(teaser_view(), "C1", outbox_id=22, in_doubt=True))
    assert _outbox_ids(slack_emulator, "C1") == [(21, 0), (22, 0)]
    assert again is not None and again != first
    assert again.message_id.endswith(slack_emulator.last_message("C1").ts)  # type: ignore[union-attr]
    [history] = slack_emulator.calls("conversations.history")
    assert history.params["include_all_metadata"] in (True, "true", "1")


async def test_a_row_in_doubt_that_never_arrived_is_posted(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack = transport(slack_emulator)
    await slack.deliver(delivery(teaser_view(), "C1", outbox_id=21))
    ref = await slack.deliver(delivery(teaser_view(), "C1", outbox_id=23, in_doubt=True))
    assert _outbox_ids(slack_emulator, "C1") == [(21, 0), (23, 0)] and ref is not None


async def test_a_long_pack_in_doubt_continues_after_the_parts_slack_has(slack_emulator) -> None:
    slack_emulator.limits.disable()
    slack_emulator.add_user("U7")
    pack = delivery(content_view(items=16, body_chars=3000), "U7", outbox_id=5)
    slack_emulator.faults.fail("chat.postMessage", when=lambda p: "(2/" in str(p.get("text")))
    with pytest.raises(DeliveryError):
        await transport(slack_emulator).deliver(pack)
    # A new process (nothing in memory) takes the row over, in doubt.
    ref = await transport(slack_emulator).deliver(
        delivery(pack.view, "U7", outbox_id=5, in_doubt=True)
    )
    dm = slack_emulator.dm_channel("U7")
    parts = [part for _, part in _outbox_ids(slack_emulator, dm)]
    assert parts == list(range(len(parts))) and len(parts) >= 2  # each part once, in order
    assert ref is not None and ref.message_id.endswith(slack_emulator.dm_messages("U7")[0].ts)


async def test_a_summary_found_in_the_channel_stands_for_the_rows_it_covers(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack = transport(slack_emulator)
    await slack.deliver(delivery(teaser_view(), "C1", outbox_id=30, through_id=39))
    await slack.deliver(delivery(teaser_view(), "C1", outbox_id=35, in_doubt=True))
    assert _outbox_ids(slack_emulator, "C1") == [(30, 0)]


async def test_without_the_history_scope_a_row_in_doubt_is_posted_and_that_is_logged(
    slack_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    slack_emulator.add_channel("C1")
    slack_emulator.faults.error("conversations.history", "missing_scope")
    ref = await transport(slack_emulator).deliver(
        delivery(teaser_view(), "C1", outbox_id=40, in_doubt=True)
    )
    assert ref is not None and _outbox_ids(slack_emulator, "C1") == [(40, 0)]
    assert "cannot look for outbox 40" in caplog.text and "history scopes" in caplog.text


async def test_a_row_in_doubt_waits_while_the_history_cannot_be_read(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack_emulator.faults.rate_limit("conversations.history", retry_after=9)
    with pytest.raises(DeliveryError) as caught:
        await transport(slack_emulator).deliver(
            delivery(teaser_view(), "C1", outbox_id=41, in_doubt=True)
        )
    assert caught.value.retry_after == 9 and caught.value.maybe_sent is None  # still in doubt
    assert slack_emulator.bot_messages("C1") == []


@pytest.mark.parametrize(
    ("arm", "maybe_sent"),
    [
        (lambda s: s.faults.error("chat.postMessage", "internal_error"), False),
        (lambda s: s.faults.rate_limit("chat.postMessage", retry_after=3), False),
        (lambda s: s.faults.fail("chat.postMessage", status=503), True),
    ],
)
async def test_a_failed_post_says_whether_it_may_have_gone_through(
    slack_emulator, arm, maybe_sent
) -> None:
    slack_emulator.add_channel("C1")
    arm(slack_emulator)
    with pytest.raises(DeliveryError) as caught:
        await transport(slack_emulator).deliver(delivery(teaser_view(), "C1"))
    assert caught.value.maybe_sent is maybe_sent


async def test_an_edit_whose_answer_cannot_be_read_counts_as_done(slack_emulator) -> None:
    slack_emulator.add_channel("C1")
    slack = transport(slack_emulator)
    ref = await slack.deliver(delivery(teaser_view(), "C1"))
    slack_emulator.faults.reshape("chat.update", lambda body: {"result": body})
    again = await slack.deliver(delivery(teaser_view(closed="taken"), "C1", edit=ref))
    assert again == ref and "Taken" in slack_emulator.last_message("C1").all_text  # type: ignore[union-attr]
    assert len(slack_emulator.calls("chat.update")) == 1
