"""The Slack Web API emulator: ``<base_url>/api/<method>`` plus interaction response URLs.

Speaks enough of the Web API for slack_sdk / slack_bolt to run unmodified: bearer-token
auth, form or JSON bodies, Slack-shaped answers and errors, Slack's per-channel posting
limit with ``Retry-After``. Tests read the workspace (messages, ephemerals, views) through
the query methods below, which return copies.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulators.base import ApiRequest, EmulatorServer, Reply
from tests.emulators.faults import Fault
from tests.emulators.limits import LimitRule, whole_seconds
from tests.emulators.slack.errors import SlackFailure, as_json
from tests.emulators.slack.methods import METHODS, RESPONSE_URL
from tests.emulators.slack.models import Channel, Ephemeral, SlackMessage, SlackView, User
from tests.emulators.slack.socket_mode import PATH as SOCKET_PATH
from tests.emulators.slack.socket_mode import SocketModeHub
from tests.emulators.slack.state import SlackState

if TYPE_CHECKING:
    from tests.emulators.slack.driver import SlackDriver

JSON_PARAMS = frozenset({"blocks", "attachments", "view", "metadata"})


CONNECTIONS_OPEN = "apps.connections.open"


class SlackEmulator(EmulatorServer):
    """A Slack workspace with one bot, served over HTTP on 127.0.0.1.

    ``SlackEmulator(token="xoxb-test")``; use as a context manager or ``start()``/``stop()``.
    Point the SDK at :attr:`api_url`. Channels and users must be added (``add_channel``,
    ``add_user``) before the bot addresses them, else Slack's errors come back.
    """

    def __init__(
        self,
        token: str = "xoxb-test-token",
        *,
        app_token: str = "xapp-1-test-app-token",
        team_id: str = "T000000001",
        bot_user_id: str = "U0BOT00001",
        bot_id: str = "B000000001",
        app_id: str = "A000000001",
        channels: Iterable[str] = (),
        users: Iterable[str] = (),
        clock: Callable[[], float] | None = None,
        trigger_ttl: float = 3.0,
        post_per_second: float = 1.0,
        post_burst: int = 4,
        workspace_per_second: float = 10.0,
        workspace_burst: int = 600,
    ) -> None:
        super().__init__(clock=clock)
        self.token = token
        self.socket_mode = SocketModeHub(self, app_token)
        self.state = SlackState(
            clock=self.clock,
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            trigger_ttl=trigger_ttl,
        )
        self.add_channels(*channels)
        self.add_users(*users)
        self.limits.add(
            LimitRule(
                "per_channel",
                post_per_second,
                post_burst,
                self._channel_bucket,
                frozenset({"chat.postMessage"}),
            )
        )
        # Slack's ceiling for an app in a workspace: "several hundred messages per minute",
        # with generous bursts (api.slack.com/methods/chat.postMessage#rate_limiting).
        self.limits.add(
            LimitRule(
                "workspace",
                workspace_per_second,
                workspace_burst,
                lambda m, p: "team",
                frozenset({"chat.postMessage"}),
            )
        )
        # conversations.history is a Tier 3 method: 50+ calls a minute, short bursts.
        self.limits.add(
            LimitRule(
                "history", 50 / 60, 50, lambda m, p: "team", frozenset({"conversations.history"})
            )
        )
        self.limits.add(
            LimitRule(
                "updates",
                50 / 60,
                50,
                lambda m, p: "team",
                frozenset({"chat.update", "chat.delete"}),
            )
        )

    def _channel_bucket(self, method: str, params: dict[str, Any]) -> str | None:
        """Slack limits per channel, however the bot names it (id, ``#name``, user id)."""
        ref = str(params.get("channel", ""))
        with self.lock:
            try:
                return self.state.resolve_channel(ref).id
            except SlackFailure:
                return ref or None

    # ----------------------------------------------------------------- identity

    @property
    def api_url(self) -> str:
        """The SDK's ``base_url``: ``http://127.0.0.1:<port>/api/`` (with the slash)."""
        return f"{self.base_url}/api/"

    @property
    def team_id(self) -> str:
        return self.state.team_id

    @property
    def bot_user_id(self) -> str:
        return self.state.bot_user_id

    # ----------------------------------------------------------------- HTTP

    def add_routes(self, app: web.Application) -> None:
        async def api(request: web.Request) -> web.StreamResponse:
            return await self.handle_api(request, request.match_info["method"])

        async def respond(request: web.Request) -> web.StreamResponse:
            return await self.handle_api(request, RESPONSE_URL, request.match_info["token"])

        async def upload(request: web.Request) -> web.StreamResponse:
            """files_upload_v2 step 2: the bytes, POSTed to the URL step 1 handed out."""
            data = await request.read()
            with self.lock:
                known = self.state.receive_upload(request.match_info["file_id"], data)
            self.changed()
            if not known:
                return web.Response(status=404, text="unknown upload")
            return web.Response(text=f"OK - {len(data)}")

        self.state.upload_base = self.base_url
        app.router.add_route("*", "/api/{method}", api)
        app.router.add_get(SOCKET_PATH, self.socket_mode.serve)
        app.router.add_post("/response/{token}", respond)
        app.router.add_post("/upload/{file_id}", upload)

    def decode_params(self, params: dict[str, Any]) -> dict[str, Any]:
        decoded = dict(params)
        for key in JSON_PARAMS & params.keys():
            with contextlib.suppress(SlackFailure):
                decoded[key] = as_json(params[key], key)
        return decoded

    def check_auth(self, request: ApiRequest) -> Reply | None:
        if request.method == RESPONSE_URL:
            return None
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else ""
        token = token or str(request.params.get("token", ""))
        if not token:
            return Reply({"ok": False, "error": "not_authed"})
        wanted = self.socket_mode.app_token if request.method == CONNECTIONS_OPEN else self.token
        if token != wanted:
            return Reply({"ok": False, "error": "invalid_auth"})
        return None

    async def call_method(self, request: ApiRequest) -> Reply:
        if request.method == CONNECTIONS_OPEN:  # Socket Mode: where to connect
            return Reply({"ok": True, "url": self.socket_mode.url})
        handler = METHODS.get(request.method)
        if handler is None:
            return Reply({"ok": False, "error": "unknown_method", "req_method": request.method})
        try:
            with self.lock:
                result = handler(self.state, request.params, request.path_token)
        except SlackFailure as failure:
            status = 404 if request.method == RESPONSE_URL else 200
            return Reply({"ok": False, "error": failure.error, **failure.extra}, status)
        return Reply({"ok": True, **result})

    def fault_reply(self, fault: Fault, request: ApiRequest) -> Reply:
        if fault.kind == "rate_limit":
            return self.rate_limited_reply(fault.seconds, request)
        if fault.kind == "error":
            return Reply({"ok": False, "error": fault.error}, fault.status or 200)
        return Reply({"ok": False, "error": "fatal_error"}, fault.status or 500)

    def rate_limited_reply(self, wait: float, request: ApiRequest) -> Reply:
        seconds = whole_seconds(wait)
        return Reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(seconds)})

    def bad_body_reply(self, message: str) -> Reply:
        return Reply({"ok": False, "error": "invalid_json", "detail": message})

    # ----------------------------------------------------------------- setup

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        members: Iterable[str] | None = None,
        bot_member: bool = True,
    ) -> str:
        """Make a channel known. ``members`` limits who may get ephemerals there."""
        with self.lock:
            member_set = set(members) if members is not None else None
            self.state.add_channel(Channel(channel_id, name or channel_id, member_set, bot_member))
        return channel_id

    def add_channels(self, *channel_ids: str) -> None:
        for channel_id in channel_ids:
            self.add_channel(channel_id)

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        locale: str = "en-US",
        tz: str = "Europe/Berlin",
        real_name: str = "",
        email: str = "",
    ) -> str:
        """Make a workspace user known (``users.info`` answers with ``locale`` and ``tz``;
        ``users.lookupByEmail`` finds them by ``email``)."""
        with self.lock:
            self.state.users[user_id] = User(
                user_id, name or user_id.lower(), real_name, locale, tz, email
            )
        return user_id

    def add_users(self, *user_ids: str) -> None:
        for user_id in user_ids:
            self.add_user(user_id)

    def driver(self, request_url: str, signing_secret: str, **options: Any) -> SlackDriver:
        """A :class:`SlackDriver` that plays users of this workspace against the bot."""
        from tests.emulators.slack.driver import SlackDriver

        return SlackDriver(self, request_url, signing_secret, **options)

    # ----------------------------------------------------------------- queries (copies)

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM channel with ``user_id`` (``D…``)."""
        with self.lock:
            return self.state.dm_channel(user_id)

    def messages(self, channel: str, *, include_deleted: bool = False) -> list[SlackMessage]:
        """Messages in a channel (id, or user id for the DM), oldest first."""
        with self.lock:
            found = self.state.messages.get(self._channel_id(channel), [])
            return copy.deepcopy([m for m in found if include_deleted or not m.deleted])

    def bot_message_times(self, channel: str) -> list[float]:
        """When each bot message in ``channel`` was posted (``time.time()``), oldest first.

        Cheap (no copies), for benchmarks that watch hundreds of channels."""
        with self.lock:
            found = self.state.messages.get(self._channel_id(channel), [])
            return [m.at for m in found if m.user == self.bot_user_id and not m.deleted]

    def bot_messages(self, channel: str) -> list[SlackMessage]:
        """Only the messages the bot posted (not the driver's user messages)."""
        return [m for m in self.messages(channel) if m.user == self.bot_user_id]

    def last_message(self, channel: str) -> SlackMessage | None:
        found = self.bot_messages(channel)
        return found[-1] if found else None

    def message(self, channel: str, ts: str) -> SlackMessage:
        with self.lock:
            try:
                return copy.deepcopy(self.state.find(self._channel_id(channel), ts))
            except SlackFailure:
                raise LookupError(f"no message {ts} in {channel}") from None

    def _channel_id(self, channel: str) -> str:
        try:
            return self.state.resolve_channel(channel).id
        except SlackFailure:
            raise LookupError(f"unknown channel {channel!r}; add_channel() it first") from None

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes uploaded for a file (files_upload_v2), or None."""
        with self.lock:
            upload = self.state.uploads.get(file_id)
            return upload.data if upload else None

    def dm_messages(self, user_id: str) -> list[SlackMessage]:
        return self.bot_messages(self.dm_channel(user_id))

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Ephemeral]:
        with self.lock:
            return copy.deepcopy(
                [
                    e
                    for e in self.state.ephemerals
                    if (channel is None or e.channel == channel)
                    and (user is None or e.user == user)
                ]
            )

    def home_view(self, user_id: str) -> SlackView | None:
        with self.lock:
            view_id = self.state.home_views.get(user_id)
            return copy.deepcopy(self.state.views[view_id]) if view_id else None

    def modals(self, user_id: str) -> list[SlackView]:
        """The user's open modal stack, bottom first."""
        with self.lock:
            stack = self.state.modal_stacks.get(user_id, [])
            return copy.deepcopy([self.state.views[v] for v in stack])

    def modal(self, user_id: str) -> SlackView | None:
        """The modal the user is looking at (top of the stack), or None."""
        stack = self.modals(user_id)
        return stack[-1] if stack else None

    def view(self, view_id: str) -> SlackView:
        with self.lock:
            return copy.deepcopy(self.state.views[view_id])

    # ----------------------------------------------------------------- driver support

    def new_interaction(
        self, user: str, channel: str | None, message_ts: str | None
    ) -> tuple[str, str]:
        """A fresh ``trigger_id`` and ``response_url`` for an interaction of ``user``."""
        with self.lock:
            if user not in self.state.users:
                self.add_user(user)
            trigger = self.state.new_trigger(user)
            target = self.state.new_response_target(channel, user, message_ts)
        return trigger, f"{self.base_url}/response/{target.token}"

    def apply_view_response(self, user: str, view_id: str, body: Any) -> None:
        """Do what Slack does with the bot's answer to a view_submission."""
        body = as_json(body, "response") if body else None
        action = body.get("response_action") if isinstance(body, dict) else None
        with self.lock:
            state = self.state
            if action == "errors":
                state.views[view_id].errors = dict(body.get("errors") or {})
            elif action == "update":
                view = state._view_payload({"view": body.get("view")}, "modal")
                state.replace_view(state.views[view_id], view)
            elif action == "push":
                view = state._view_payload({"view": body.get("view")}, "modal")
                state.push_onto(user, view)
            else:
                state.close_views(user, view_id, everything=action == "clear")
        self.changed()
