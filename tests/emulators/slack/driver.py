"""Plays Slack's side towards the bot: signed interactions, slash commands and events.

Requests are signed exactly like Slack signs them (``v0:<timestamp>:<body>`` HMAC-SHA256
in ``X-Slack-Signature``), so the bot's real verifier checks them. Buttons are found in
what the bot really posted to the emulator, so a test presses what a user would see.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.emulators.slack import blocks as bk
from tests.emulators.slack import payloads
from tests.emulators.slack.models import SlackView
from tests.emulators.slack.signing import FORM, DriverResponse, SignedSender, sign

if TYPE_CHECKING:
    from tests.emulators.slack.server import SlackEmulator

__all__ = ["DriverResponse", "SlackDriver", "sign"]


class SlackDriver(SignedSender):
    """Sends user actions to the bot's request URL as Slack would.

    Every sending method takes ``signing`` (``"valid"``, ``"bad"`` — wrong secret,
    ``"stale"`` — a 10-minute-old timestamp, ``"missing"`` — no signature headers),
    ``retry_num`` / ``retry_reason`` (``X-Slack-Retry-*`` headers) and returns a
    :class:`DriverResponse`.
    """

    def __init__(
        self,
        emulator: SlackEmulator,
        request_url: str,
        signing_secret: str,
        *,
        timeout: float = 10.0,
        verification_token: str = "legacy-verification-token",
    ) -> None:
        super().__init__(request_url, signing_secret, timeout)
        self.emulator = emulator
        self.verification_token = verification_token

    # ----------------------------------------------------------------- interactions

    async def press_button(
        self,
        action_id: str,
        *,
        user: str,
        channel: str,
        message_ts: str | None = None,
        value: str | None = None,
        option: Any = None,
        **delivery: Any,
    ) -> DriverResponse:
        """Press the button (or pick ``option`` in the select or overflow menu) ``action_id``
        on a message.

        Without ``message_ts``: the newest bot message in ``channel`` that has such an
        element (``value`` picks among buttons sharing an action_id, ``option`` among menus
        offering it). ``channel`` may be a DM id (``emulator.dm_channel(user)``).
        """
        emulator = self.emulator
        candidates = (
            [emulator.message(channel, message_ts)]
            if message_ts
            else emulator.bot_messages(channel)
        )
        newest_first = list(reversed(candidates))
        if option is not None:  # a message whose menu offers the option comes first
            newest_first.sort(key=lambda m: not bk.offers(m.blocks, action_id, option))
        for message in newest_first:
            found = bk.find_element(message.blocks, action_id, value, option)
            if found is None:
                continue
            trigger, response_url = emulator.new_interaction(user, message.channel, message.ts)
            payload = self._block_actions(user, trigger, found, option)
            payload.update(
                container={
                    "type": "message",
                    "message_ts": message.ts,
                    "channel_id": message.channel,
                    "is_ephemeral": False,
                },
                channel={"id": message.channel, "name": message.channel},
                message=message.as_api(emulator.team_id),
                response_url=response_url,
            )
            return await self.send_payload(payload, **delivery)
        raise LookupError(
            f"no {action_id!r} element (value={value!r}) on the bot's messages in {channel}; "
            f"buttons there: {[b.get('action_id') for m in candidates for b in m.buttons()]}"
        )

    async def press_ephemeral_button(
        self,
        action_id: str,
        *,
        user: str,
        channel: str,
        value: str | None = None,
        option: Any = None,
        **delivery: Any,
    ) -> DriverResponse:
        """Press a button on the newest ephemeral message ``user`` sees in ``channel``."""
        for ephemeral in reversed(self.emulator.ephemerals(channel, user)):
            found = bk.find_element(ephemeral.blocks, action_id, value, option)
            if found is None:
                continue
            trigger, response_url = self.emulator.new_interaction(user, channel, ephemeral.ts)
            payload = self._block_actions(user, trigger, found, option)
            payload.update(
                container={
                    "type": "message",
                    "message_ts": ephemeral.ts,
                    "channel_id": channel,
                    "is_ephemeral": True,
                },
                channel={"id": channel, "name": channel},
                response_url=response_url,
            )
            return await self.send_payload(payload, **delivery)
        raise LookupError(f"no ephemeral with {action_id!r} for {user} in {channel}")

    async def press_view_button(
        self,
        action_id: str,
        *,
        user: str,
        view_id: str | None = None,
        value: str | None = None,
        option: Any = None,
        **delivery: Any,
    ) -> DriverResponse:
        """Press a button (or pick ``option`` in a menu) in a view: ``view_id``, else the top
        modal, else the App Home."""
        view = self._view(user, view_id, allow_home=True)
        found = bk.find_element(view.blocks, action_id, value, option)
        if found is None:
            raise LookupError(f"view {view.id} has no {action_id!r} element")
        trigger, _ = self.emulator.new_interaction(user, None, None)
        payload = self._block_actions(user, trigger, found, option)
        payload.update(
            container={"type": "view", "view_id": view.id},
            view=self._view_api(view, {}),
        )
        return await self.send_payload(payload, **delivery)

    async def submit_view(
        self,
        *,
        user: str,
        values: Mapping[str, Any] | None = None,
        view_id: str | None = None,
        **delivery: Any,
    ) -> DriverResponse:
        """Submit the user's top modal (or ``view_id``) with ``values`` typed in.

        ``values`` maps an input's action_id to what the user entered: text, an option
        value for selects, a list for multi-selects, ``"2026-03-02"`` for date pickers.
        The bot's answer is applied like Slack does: empty ack closes the view,
        ``response_action`` ``errors`` / ``update`` / ``push`` / ``clear`` act on it.
        """
        view = self._view(user, view_id, allow_home=False)
        state = bk.state_values(view.blocks, dict(values or {}))
        trigger, _ = self.emulator.new_interaction(user, None, None)
        payload = {
            **self._envelope(user),
            "type": "view_submission",
            "trigger_id": trigger,
            "view": self._view_api(view, state),
            "response_urls": [],
        }
        response = await self.send_payload(payload, **delivery)
        if response.ok:
            self.emulator.apply_view_response(user, view.id, response.body)
        return response

    async def close_view(
        self, *, user: str, view_id: str | None = None, **delivery: Any
    ) -> DriverResponse | None:
        """The user closes a modal; ``view_closed`` goes to the bot if it asked for it."""
        view = self._view(user, view_id, allow_home=False)
        with self.emulator.lock:
            self.emulator.state.close_views(user, view.id, everything=False)
        self.emulator.changed()
        if not view.view.get("notify_on_close"):
            return None
        payload = {
            **self._envelope(user),
            "type": "view_closed",
            "view": self._view_api(view, {}),
            "is_cleared": False,
        }
        return await self.send_payload(payload, **delivery)

    # ----------------------------------------------------------------- commands, events

    async def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user: str,
        channel: str | None = None,
        **delivery: Any,
    ) -> DriverResponse:
        """``/leads …`` typed by ``user`` in ``channel`` (default: the DM with the bot)."""
        channel = channel or self.emulator.dm_channel(user)
        trigger, response_url = self.emulator.new_interaction(user, channel, None)
        form = payloads.slash_command(
            self.emulator.state,
            self.verification_token,
            command=command,
            text=text,
            user=user,
            channel=channel,
            trigger=trigger,
            response_url=response_url,
        )
        body = urlencode(form).encode()
        return await self.post(body, FORM, form, **delivery)

    async def send_event(
        self, event: Mapping[str, Any], *, event_id: str | None = None, **delivery: Any
    ) -> DriverResponse:
        """An Events API ``event_callback`` wrapping ``event`` (give ``event_id`` to resend)."""
        state, token = self.emulator.state, self.verification_token
        envelope = payloads.event_callback(state, token, event, event_id)
        return await self.post_json(envelope, **delivery)

    async def app_home_opened(self, user: str, **delivery: Any) -> DriverResponse:
        """The user opens the bot's App Home tab."""
        self.emulator.new_interaction(user, None, None)  # makes the user known
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.emulator.dm_channel(user),
            "tab": "home",
        }
        home = self.emulator.home_view(user)
        if home is not None:
            event["view"] = self._view_api(home, {})
        return await self.send_event(event, **delivery)

    async def dm_message(self, user: str, text: str, **delivery: Any) -> DriverResponse:
        """The user writes ``text`` to the bot in their DM (a ``message.im`` event)."""
        self.emulator.new_interaction(user, None, None)
        channel = self.emulator.dm_channel(user)
        with self.emulator.lock:
            message = self.emulator.state.add_user_message(channel, user, text)
        self.emulator.changed()
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": message.ts,
            "team": self.emulator.team_id,
            "channel_type": "im",
            "client_msg_id": secrets.token_hex(16),
        }
        return await self.send_event(event, **delivery)

    async def url_verification(self, challenge: str = "challenge-token") -> DriverResponse:
        """Slack's one-time check of a new request URL; the bot must echo the challenge."""
        payload = {"token": self.verification_token, "challenge": challenge}
        return await self.post_json({**payload, "type": "url_verification"})

    # ----------------------------------------------------------------- helpers

    def _envelope(self, user: str) -> dict[str, Any]:
        return payloads.envelope(self.emulator.state, user, self.verification_token)

    def _block_actions(
        self, user: str, trigger: str, found: tuple[str, dict[str, Any]], option: Any
    ) -> dict[str, Any]:
        state, token = self.emulator.state, self.verification_token
        return payloads.block_actions(state, user, token, trigger, found, option)

    def _view(self, user: str, view_id: str | None, *, allow_home: bool) -> SlackView:
        if view_id is not None:
            return self.emulator.view(view_id)
        view = self.emulator.modal(user) or (self.emulator.home_view(user) if allow_home else None)
        if view is None:
            raise LookupError(f"{user} has no open {'view' if allow_home else 'modal'}")
        return view

    def _view_api(self, view: SlackView, state: dict[str, Any]) -> dict[str, Any]:
        s = self.emulator.state
        return view.as_api(s.team_id, s.app_id, s.bot_id, state)
