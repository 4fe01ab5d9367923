"""Slack, played against the Slack emulator: buttons, modals and ``/leads`` over real HTTP.

Partners have a channel, reps a Slack user id; staff are ``STAFF_USER`` and watch
``STAFF_CHANNEL``. A rep claims with the teaser's button and reports with the card's
buttons and its "⋯" menu — Contacted at once, Won / Lost / Follow-up / Hand back through
their modal — staff type ``/leads <command>``. What people see is what the bot really posted to the
emulated Web API: channel messages (edited in place), DMs, ephemeral answers, modals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.config import Settings
from bot.leads.status_reports import StatusAction
from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.emulators.slack import SlackEmulator, SlackMessage
from tests.emulators.slack import blocks as bk
from tests.support.botserver import RunningBot
from tests.support.drivers.base import (
    ChatDriver,
    Ids,
    Member,
    Setup,
    Step,
    Teaser,
    mentions,
    split_step,
)
from tests.support.world import eventually

PRODUCTS = [  # as in bot.toml, so the shipped sales-content library loads
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud", "min_certification": "basic"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]
STAFF_CHANNEL = "CSTAFF0001"
STAFF_USER = "USTAFF0001"
CLAIM = "lead_claim"
MORE = "lead_more"
FREQUENT = ("contacted", "meeting", "proposal", "won")  # buttons; the other steps are in MORE
MODAL_VALUES: dict[StatusAction, Callable[[Any], dict[str, str]]] = {
    StatusAction.WON: lambda revenue: {"revenue_input": revenue},
    StatusAction.LOST: lambda reason: {"reason_select": reason},
    StatusAction.HAND_BACK: lambda reason: {"reason_select": reason},
    StatusAction.FOLLOW_UP: lambda day: {"date_picker": day.isoformat()},
}
"""What a rep enters in each report's modal (by the inputs' action ids)."""


def slack_settings(
    make_settings: Any, emulator: SlackEmulator, *, limits: bool = False, **sections: Any
) -> Settings:
    """Settings for a bot that talks to ``slack`` only (console off), with overrides.

    Rate limits are a test of their own (``limits=True``): elsewhere the emulator's and the
    bot's per-channel limits are lifted, so a test that clicks fast is not slowed to 1/s.
    """
    if not limits:
        emulator.limits.disable()
    base: dict[str, Any] = {
        "slack": {
            "per_channel_per_second": 1.0 if limits else 100.0,
            "burst": 3 if limits else 100,
            "enabled": True,
            "api_url": emulator.api_url,
            "staff_channel": STAFF_CHANNEL,
            "bot_token": SLACK_TOKEN,
            "signing_secret": SLACK_SIGNING_SECRET,
        },
        "console": {"enabled": False},
        "server": {"api_token": "slack-e2e-token"},
        "staff": {"slack_users": [STAFF_USER], "language": "en"},
        "distribution": {"waves": [{"size": 0, "minutes": 120}]},
        "outbox": {"poll_seconds": 0.2},
        "products": PRODUCTS,
    }
    for section, values in sections.items():
        if isinstance(values, dict) and isinstance(base.get(section), dict):
            base[section] = {**base[section], **values}
        else:
            base[section] = values
    return make_settings(**base)


async def teaser_in(slack: SlackEmulator, channel: str, timeout: float = 10.0) -> SlackMessage:
    """The newest bot message in ``channel`` that still has a Claim button."""
    return await slack.wait_for_async(
        lambda: next(
            (m for m in reversed(slack.bot_messages(channel)) if m.button(CLAIM)),
            None,
        ),
        timeout,
        f"a teaser in {channel}",
    )


def staff_feed_of(slack: SlackEmulator) -> str:
    """Everything the bot posted into the staff channel."""
    return "\n".join(m.all_text for m in slack.bot_messages(STAFF_CHANNEL))


def claim_values(message: SlackMessage) -> set[int]:
    """The offers of the Claim buttons a message has had, in any of its versions."""
    versions = [v.blocks for v in message.history] + [message.blocks]
    return {
        int(button["value"])
        for blocks in versions
        for button in bk.buttons(blocks)
        if button.get("action_id") == CLAIM
    }


class SlackChat(ChatDriver):
    name = "slack"

    def __init__(self, bot: RunningBot, slack: SlackEmulator) -> None:
        self.slack = slack
        self.driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)

    async def _told(self, user: str, before: int, what: str) -> str:
        """The first ephemeral answer ``user`` got after the ``before``-th."""
        found = await eventually(lambda: self.slack.ephemerals(user=user)[before:], what=what)
        return found[0].all_text

    async def teaser(self, member: Member, lead_id: int, offer_id: int) -> Teaser:
        message = await eventually(
            lambda: next(
                (
                    m
                    for m in self.slack.bot_messages(member.channel)
                    if m.button(CLAIM, str(offer_id))
                ),
                None,
            ),
            what=f"teaser {offer_id} in {member.channel}",
        )
        return Teaser(member, lead_id, offer_id, message.all_text, message.ts)

    async def teaser_now(self, teaser: Teaser) -> str:
        return self.slack.message(teaser.member.channel, teaser.ref).all_text

    async def teasers_shown(self, member: Member) -> set[int]:
        return {o for m in self.slack.bot_messages(member.channel) for o in claim_values(m)}

    async def claim(self, member: Member, teaser: Teaser) -> str:
        before = len(self.slack.ephemerals(user=member.user))
        pressed = await self.driver.press_button(
            CLAIM, user=member.user, channel=member.channel, message_ts=teaser.ref
        )
        assert pressed.status == 200, pressed
        return await self._told(member.user, before, f"the answer to {member.user}'s claim")

    async def decline(self, member: Member, teaser: Teaser, reason: str) -> str:
        before = len(self.slack.ephemerals(user=member.user))
        pressed = await self.driver.press_button(
            "lead_decline", user=member.user, channel=member.channel, message_ts=teaser.ref
        )
        assert pressed.status == 200, pressed
        modal = await eventually(lambda: self.slack.modal(member.user), what="the decline modal")
        assert modal.callback_id == "decline_offer", modal.callback_id
        submitted = await self.driver.submit_view(
            user=member.user, values={"reason_select": reason}
        )
        assert submitted.status == 200 and not (submitted.json() or {}).get("errors"), submitted
        return await self._told(member.user, before, f"the answer to {member.user}'s decline")

    def _dms(self, member: Member) -> list[SlackMessage]:
        return self.slack.dm_messages(member.user)

    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        message = await eventually(
            lambda: next(
                (
                    m
                    for m in reversed(self._dms(member))
                    if mentions(m.all_text, lead_id) and containing in m.all_text
                ),
                None,
            ),
            what=f"{containing!r} on {member.user}'s card #{lead_id}",
        )
        return message.all_text

    async def private(self, member: Member) -> str:
        return "\n".join(m.all_text for m in self._dms(member))

    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        action, value = split_step(step)
        dm = self.slack.dm_channel(member.user)
        before = len(self.slack.ephemerals(user=member.user))
        if action.value in FREQUENT:  # a button on the card
            pressed = await self.driver.press_button(
                f"lead_{action.value}", user=member.user, channel=dm, value=str(lead_id)
            )
        else:  # the card's overflow menu ("⋯")
            pressed = await self.driver.press_button(
                MORE, user=member.user, channel=dm, option=f"{action.value}:{lead_id}"
            )
        assert pressed.status == 200, pressed
        if action not in MODAL_VALUES:
            return await self._told(member.user, before, f"the answer to {action.value}")
        modal = await eventually(
            lambda: self.slack.modal(member.user), what=f"the {action.value} modal"
        )
        assert modal.callback_id == f"report_{action.value}", modal.callback_id
        submitted = await self.driver.submit_view(
            user=member.user, values=MODAL_VALUES[action](value)
        )
        assert submitted.status == 200, submitted
        errors = (submitted.json() or {}).get("errors")
        return "\n".join(errors.values()) if errors else ""

    async def command(self, member: Member, text: str) -> str:
        before = len(self.slack.ephemerals(user=member.user))
        typed = await self.driver.slash_command(
            "/leads", text, user=member.user, channel=self.slack.dm_channel(member.user)
        )
        assert typed.status == 200, typed
        return await self._told(member.user, before, f"the answer to /leads {text}")

    async def staff(self, text: str) -> str:
        before = len(self.slack.ephemerals(user=STAFF_USER))
        typed = await self.driver.slash_command(
            "/leads", text, user=STAFF_USER, channel=STAFF_CHANNEL
        )
        assert typed.status == 200, typed
        return await self._told(STAFF_USER, before, f"the answer to /leads {text}")

    async def staff_feed(self) -> str:
        return staff_feed_of(self.slack)


class SlackSetup(Setup):
    name = "slack"
    fixture = "slack_emulator"

    def settings(
        self, make_settings: Callable[..., Settings], emulator: Any, **sections: Any
    ) -> Settings:
        return slack_settings(make_settings, emulator, **sections)

    def ids(self, index: int, partner_id: str) -> Ids:
        return Ids(user=f"U{index:04d}", channel=f"C{index:04d}")

    def partner_fields(self, ids: Ids) -> dict[str, Any]:
        return {"slack_channel": ids.channel}

    def rep_fields(self, ids: Ids) -> dict[str, Any]:
        return {"slack_user_id": ids.user}

    def prepare(self, emulator: SlackEmulator, members: Sequence[Member]) -> None:
        emulator.add_channel(STAFF_CHANNEL, "leadbot-staff")
        emulator.add_user(STAFF_USER)
        for member in members:
            emulator.add_channel(member.channel, f"partner-{member.partner_id.lower()}")
            emulator.add_user(member.user)

    async def start(
        self, bot: RunningBot, emulator: SlackEmulator, members: Sequence[Member]
    ) -> ChatDriver:
        return SlackChat(bot, emulator)
