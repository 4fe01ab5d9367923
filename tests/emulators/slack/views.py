"""Interactions and views of the emulated Slack workspace: triggers, response URLs, modals
and App Home.

Slack's rules here are strict and easy to get wrong in a bot: a ``trigger_id`` works once
and only for about three seconds, a modal stack is at most three deep, a stale ``hash``
loses an update. The emulator enforces them so the bot's handling is tested for real.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.emulators.slack import blocks as bk
from tests.emulators.slack import rules
from tests.emulators.slack.errors import SlackFailure, as_json
from tests.emulators.slack.models import ResponseTarget, SlackView, Trigger, User


class ViewsMixin:
    """The views half of :class:`~tests.emulators.slack.state.SlackState`."""

    clock: Callable[[], float]
    trigger_ttl: float
    views: dict[str, SlackView]
    modal_stacks: dict[str, list[str]]
    home_views: dict[str, str]
    triggers: dict[str, Trigger]
    responses: dict[str, ResponseTarget]

    _id: Callable[[str], str]
    require_user: Callable[[Any], User]

    # ----------------------------------------------------------------- interactions

    def new_trigger(self, user: str) -> str:
        trigger = Trigger(f"{next(self._ids)}.{secrets.token_hex(8)}", user, self.clock())
        self.triggers[trigger.id] = trigger
        return trigger.id

    def use_trigger(self, trigger_id: Any) -> Trigger:
        trigger = self.triggers.get(str(trigger_id or ""))
        if trigger is None:
            raise SlackFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackFailure("exchanged_trigger_id")
        if self.clock() - trigger.created > self.trigger_ttl:
            raise SlackFailure("expired_trigger_id")
        trigger.used = True
        return trigger

    def new_response_target(
        self, channel: str | None, user: str, message_ts: str | None
    ) -> ResponseTarget:
        target = ResponseTarget(secrets.token_urlsafe(12), channel, user, message_ts)
        self.responses[target.token] = target
        return target

    # ----------------------------------------------------------------- views

    def _view_payload(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        view = as_json(params.get("view"), "view")
        if not isinstance(view, dict) or view.get("type") != kind:
            raise SlackFailure("invalid_arguments", detail=f"view must be a {kind} view")
        if not isinstance(view.get("blocks", []), list):
            raise SlackFailure("invalid_arguments", detail="view.blocks must be a list")
        if kind == "modal" and not isinstance(view.get("title"), dict):
            raise SlackFailure("invalid_arguments", detail="a modal needs a title")
        refused = rules.check_view(view)
        if refused is not None:
            raise SlackFailure("invalid_arguments", detail=refused)
        view = copy.deepcopy(view)
        view["blocks"] = bk.normalize(view.get("blocks", []))
        return view

    def _new_view(self, user: str, kind: str, view: dict[str, Any], root: str | None) -> SlackView:
        view_id = self._id("V")
        created = SlackView(
            id=view_id,
            user=user,
            type=kind,
            view=view,
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            root_view_id=root or view_id,
            external_id=view.get("external_id") or None,
        )
        if created.external_id and any(
            v.external_id == created.external_id for v in self.views.values()
        ):
            raise SlackFailure("duplicate_external_id")
        self.views[view_id] = created
        return created

    def open_view(self, params: dict[str, Any]) -> SlackView:
        view = self._view_payload(params, "modal")
        trigger = self.use_trigger(params.get("trigger_id"))
        self.modal_stacks[trigger.user] = []
        opened = self._new_view(trigger.user, "modal", view, None)
        self.modal_stacks[trigger.user].append(opened.id)
        return opened

    def push_view(self, params: dict[str, Any]) -> SlackView:
        view = self._view_payload(params, "modal")
        trigger = self.use_trigger(params.get("trigger_id"))
        stack = self.modal_stacks.get(trigger.user) or []
        if not stack:
            raise SlackFailure("not_found")
        if len(stack) >= 3:
            raise SlackFailure("push_limit_reached")
        return self.push_onto(trigger.user, view)

    def push_onto(self, user: str, view: dict[str, Any]) -> SlackView:
        stack = self.modal_stacks.setdefault(user, [])
        pushed = self._new_view(user, "modal", view, stack[0] if stack else None)
        pushed.previous_view_id = stack[-1] if stack else None
        stack.append(pushed.id)
        return pushed

    def find_view(self, view_id: Any, external_id: Any) -> SlackView:
        for view in self.views.values():
            if (view_id and view.id == view_id) or (
                external_id and view.external_id == external_id
            ):
                if view.closed:
                    raise SlackFailure("not_found")
                return view
        raise SlackFailure("not_found")

    def update_view(self, params: dict[str, Any]) -> SlackView:
        target = self.find_view(params.get("view_id"), params.get("external_id"))
        view = self._view_payload(params, target.type)
        if params.get("hash") and params["hash"] != target.hash:
            raise SlackFailure("hash_conflict")
        self.replace_view(target, view)
        return target

    def replace_view(self, target: SlackView, view: dict[str, Any]) -> None:
        target.history.append(target.view)
        target.view = view
        target.errors = None
        target.hash = f"{int(time.time())}.{secrets.token_hex(4)}"

    def publish_home(self, params: dict[str, Any]) -> SlackView:
        user = self.require_user(params.get("user_id"))
        view = self._view_payload(params, "home")
        current = self.home_views.get(user.id)
        if current is not None:
            home = self.views[current]
            if params.get("hash") and params["hash"] != home.hash:
                raise SlackFailure("hash_conflict")
            self.replace_view(home, view)
            return home
        home = self._new_view(user.id, "home", view, None)
        self.home_views[user.id] = home.id
        return home

    def close_views(self, user: str, view_id: str, everything: bool) -> None:
        """Close ``view_id`` (and the views above it), or the whole stack."""
        stack = self.modal_stacks.get(user, [])
        if view_id not in stack:
            return
        keep = [] if everything else stack[: stack.index(view_id)]
        for closed in stack[len(keep) :]:
            self.views[closed].closed = True
        self.modal_stacks[user] = keep
