"""The outbox's Slack transport: post and edit messages with the Web API.

Addresses are what the outbox wrote: a partner's ``slack_channel`` (an id such as
``C0123`` or a ``#name``), the staff channel, or a rep's Slack user id (``U…``/``W…``) for
direct messages. A user id is turned into the bot's DM channel with
``conversations.open`` once and cached. The message reference we hand back keeps the
real channel id next to the timestamp (``C0123:1712345678.000100``), because
``chat.update`` needs the channel id — not a ``#name`` and not a user id — to edit a
teaser or a lead card later.

A long notice (a content pack) may need several messages. If Slack refuses part-way (a
429), the parts already posted are remembered by outbox row, so the retry continues
where it stopped instead of posting them twice.

No duplicates after a crash: every posted message carries metadata naming its outbox row
(:mod:`~bot.handlers.slack.lookup`). A row in doubt — its sender died or lost the answer
mid-send — is first looked for in the channel's history; what is found is not posted
again. An answer Slack sent with HTTP 200 that cannot be read (another JSON shape, no
``ts``) counts as posted: the reference is unknown, logged, and nothing is posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cockpit.charts import digest_png
from bot.config import SlackSettings
from bot.coordination import Coordination
from bot.delivery.notices import Delivery, DigestView, LeadCardView, MessageRef, TeaserView
from bot.delivery.transports import DeliveryError, RateLimit
from bot.handlers.slack.blocks import render
from bot.handlers.slack.errors import (
    GONE,
    NETWORK_ERRORS,
    delivery_error,
    error_code,
    is_unreadable_success,
    network_error,
    post_error,
)
from bot.handlers.slack.kit import Message
from bot.handlers.slack.lookup import HISTORY_BURST, HISTORY_PER_SECOND, metadata, posted_parts
from bot.models import Platform
from bot.reports.digest import digest_lines

log = logging.getLogger(__name__)


def is_user(address: str) -> bool:
    """Slack user ids start with U (or W on Enterprise Grid); channels with C, G or D."""
    return address[:1] in ("U", "W")


def encode_ref(address: str, channel_id: str, ts: str) -> MessageRef:
    return MessageRef(address, f"{channel_id}:{ts}")


def decode_ref(ref: MessageRef) -> tuple[str | None, str]:
    channel, sep, ts = ref.message_id.partition(":")
    return (channel, ts) if sep else (None, ref.message_id)


EDITS = RateLimit("slack:updates", 50 / 60, 50, shared=False)
"""chat.update is a Tier 3 method: 50+ calls a minute. Not ``shared``: while it is empty,
edits wait, but posts to every channel go on."""


class Unreadable(Exception):
    """Slack answered with success (HTTP 200) in a shape that cannot be read."""


class SlackTransport:
    platform = Platform.SLACK

    def __init__(
        self, client: AsyncWebClient, settings: SlackSettings, coordination: Coordination
    ) -> None:
        self.client = client
        self.coordination = coordination
        self.per_second = settings.per_channel_per_second
        self.burst = settings.burst
        self.workspace = RateLimit(
            "slack:workspace", settings.workspace_per_second, settings.workspace_burst, True
        )
        self._dm: dict[str, str] = {}  # user id -> DM channel id
        self._posted: dict[int, tuple[str, list[str]]] = {}  # outbox id -> channel, ts so far

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        """Posts: about one message per second per channel with short bursts, and the
        workspace's ceiling shared by all channels (many channels go in parallel). Edits
        (``chat.update``, Tier 3): about 50 a minute for the whole workspace."""
        if edit:
            return (EDITS,)
        return (RateLimit(f"slack:channel:{address}", self.per_second, self.burst), self.workspace)

    async def _call(self, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except SlackApiError as exc:
            raise delivery_error(method, exc) from None
        except NETWORK_ERRORS as exc:
            raise network_error(method, exc) from None

    async def channel_for(self, address: str) -> str:
        """The channel to post to: the address itself, or the DM with a user (cached)."""
        if not is_user(address):
            return address
        cached = self._dm.get(address)
        if cached is None:
            opened = await self._call(
                "conversations.open", lambda: self.client.conversations_open(users=address)
            )
            cached = self._dm[address] = str(opened["channel"]["id"])
        return cached

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        messages = render(delivery.view)
        try:
            if isinstance(delivery.view, DigestView):
                return await self._upload(delivery, delivery.view, messages[0])
            if delivery.edit is not None:
                return await self._edit(delivery, messages[0])
            return await self._post(delivery, messages)
        except Exception as exc:
            permanent = getattr(exc, "permanent", False)
            if permanent:
                self._posted.pop(delivery.outbox_id, None)
                self._dm.pop(delivery.address, None)  # a stale DM id is opened afresh next time
            raise

    async def _upload(self, delivery: Delivery, view: DigestView, message: Message) -> MessageRef:
        """The digest chart as a file in the channel, the words as its comment.

        ``files_upload_v2`` is what current slack_sdk offers: files.getUploadURLExternal,
        a POST of the bytes, files.completeUploadExternal (the old files.upload is gone).
        """
        channel = await self.channel_for(delivery.address)
        image = digest_png(view)
        name = f"leadbot-{view.start.isoformat()}-{view.end.isoformat()}.png"
        try:
            answer = await self._call(
                "files.completeUploadExternal",
                lambda: self.client.files_upload_v2(
                    channel=channel,
                    file=image,
                    filename=name,
                    title=digest_lines(view)[0],
                    initial_comment=message.text,
                ),
            )
        except SlackRequestError as exc:  # the upload POST itself failed: try again later
            raise DeliveryError(f"files upload: {exc}") from None
        files = answer.get("files") or [{}]
        return MessageRef(delivery.address, f"{channel}:file:{files[0].get('id', '')}")

    async def _post(self, delivery: Delivery, messages: list[Message]) -> MessageRef | None:
        channel = await self.channel_for(delivery.address)
        channel_id, posted = self._posted.get(delivery.outbox_id, (channel, []))
        if delivery.in_doubt and not posted:
            posted = await self._already_posted(delivery, channel_id, len(messages))
        for part, message in enumerate(messages):
            if part < len(posted):
                continue
            try:
                answer = await self._call_post(
                    channel_id, message, metadata(delivery.outbox_id, part, delivery.through_id)
                )
            except Unreadable as exc:
                log.warning(
                    "slack took outbox %s (part %d) but its answer could not be read (%s); "
                    "counted as posted, reference unknown",
                    delivery.outbox_id,
                    part,
                    exc,
                )
                posted.append("")
            else:
                channel_id = str(answer.get("channel") or channel_id)
                posted.append(str(answer["ts"]))
            self._posted[delivery.outbox_id] = (channel_id, posted)
        self._posted.pop(delivery.outbox_id, None)
        return encode_ref(delivery.address, channel_id, posted[0]) if posted[0] else None

    async def _call_post(self, channel: str, message: Message, meta: dict[str, Any]) -> Any:
        """``chat.postMessage``; raises :class:`Unreadable` for a success it cannot read."""
        try:
            answer = await self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                metadata=meta,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            if is_unreadable_success(exc):
                raise Unreadable(str(exc).splitlines()[0][:200]) from None
            raise post_error(exc) from None
        except NETWORK_ERRORS as exc:
            lost = network_error("chat.postMessage", exc)
            lost.maybe_sent = True  # the request may have arrived; only the answer is lost
            raise lost from None
        if not isinstance(answer.get("ts"), str) or not answer.get("ts"):
            raise Unreadable("no ts in the answer")
        return answer

    async def _already_posted(self, delivery: Delivery, channel_id: str, parts: int) -> list[str]:
        """For a row in doubt: the timestamps of its parts already in the channel.

        Raises :class:`DeliveryError` (the row stays in doubt) when the history cannot be
        read now; posts only after the history said the message is not there, unless the
        bot may not read it at all (then at most this one message may repeat, logged).
        """
        wait = await self.coordination.take_token(
            "slack:history", HISTORY_PER_SECOND, HISTORY_BURST
        )
        if wait > 0:
            raise DeliveryError("slack conversations.history: paced", retry_after=wait)

        async def page(cursor: str | None) -> dict[str, Any]:
            answer = await self.client.conversations_history(
                channel=channel_id, limit=100, include_all_metadata=True, cursor=cursor
            )
            return dict(answer.data) if isinstance(answer.data, dict) else {}

        try:
            found = await posted_parts(page, delivery.outbox_id)
        except SlackApiError as exc:
            error = delivery_error("conversations.history", exc)
            if not error.permanent:
                raise error from None
            log.warning(
                "slack: cannot look for outbox %s in %s before posting it again (%s); "
                "give leadbot the *:history scopes (docs/slack.md)",
                delivery.outbox_id,
                channel_id,
                error,
            )
            return []
        except NETWORK_ERRORS as exc:
            raise network_error("conversations.history", exc) from None
        if found:
            log.info(
                "slack: outbox %s was already posted (%d of %d part(s)); not posted again",
                delivery.outbox_id,
                len(found),
                parts,
            )
        posted: list[str] = []
        for part in range(parts):
            if part not in found:
                break
            posted.append(found[part])
        return posted

    async def _edit(self, delivery: Delivery, message: Message) -> MessageRef | None:
        assert delivery.edit is not None
        channel, ts = decode_ref(delivery.edit)
        channel = channel or await self.channel_for(delivery.address)
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.blocks
            )
        except SlackApiError as exc:
            if is_unreadable_success(exc):
                log.warning(
                    "slack took the edit of outbox %s but its answer could not be read; "
                    "counted as done",
                    delivery.outbox_id,
                )
                return delivery.edit
            if error_code(exc) not in GONE:
                raise delivery_error("chat.update", exc) from None
            if isinstance(delivery.view, TeaserView):
                return delivery.edit  # the teaser was deleted: nothing left to close
            if isinstance(delivery.view, LeadCardView) and delivery.view.edit_only:
                return delivery.edit  # a colleague's card deleted: a change, never news
            log.info("lead card %s is gone from Slack; posting it again", delivery.edit)
            return await self._post(delivery, [message])
        except NETWORK_ERRORS as exc:
            raise network_error("chat.update", exc) from None
        return delivery.edit
