"""Telegram, played against the Telegram emulator: inline buttons, typed answers, commands.

Partners have a group, reps a Telegram user who has started the private chat with the bot;
staff are ``STAFF_USER`` in the staff chat ``STAFF_CHAT``. A rep claims with the teaser's
button and reports with the card's buttons — one tap for Contacted, a sub-menu for Lost /
Hand back / Follow-up, a typed answer (forced reply) for the revenue and a date — staff
type ``/release 12 consent`` in the staff chat. Updates reach the bot's webhook over real
HTTP; what people see is what the bot sent to the emulated Bot API (messages, edits,
callback answers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.leads.status_reports import StatusAction
from tests.emulators.fixtures import TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.telegram import TelegramEmulator, TgMessage
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

WEBHOOK_URL = "https://leadbot.example/telegram/webhook"  # what the bot registers
PRODUCTS = [  # as in bot.toml, so the shipped sales-content library loads
    {"id": "X200", "line": "X-series"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]
STAFF_CHAT = -1_000_999
STAFF_USER = 7_999
FEED_MARK = "📋"  # the staff feed's notices start with it; answers to commands do not
ANSWER_MARKS = ("✅", "⚠️")  # a reply to a typed answer
SUB_MENU = {StatusAction.LOST: "lost", StatusAction.HAND_BACK: "hb"}


def group_of(index: int) -> int:
    return -1_000_000 - index


def user_of(index: int) -> int:
    return 7_000 + index


def telegram_settings(
    make_settings: Callable[..., Settings], emulator: TelegramEmulator, **sections: Any
) -> Settings:
    telegram = {
        "enabled": True,
        "api_url": emulator.bot_api_url,
        "token": TELEGRAM_TOKEN,
        "webhook_secret": TELEGRAM_WEBHOOK_SECRET,
        "webhook_url": WEBHOOK_URL,
        "poll_timeout_seconds": 1,
        # Functional tests talk fast in one private chat; the flood-limit tests set
        # Telegram's real figures on both sides.
        "chat_per_second": 50.0,
        "chat_burst": 50,
        **sections.pop("telegram", {}),
    }
    base: dict[str, Any] = {
        "telegram": telegram,
        "console": {"enabled": False},
        "server": {"api_token": "tg-e2e-token"},
        "outbox": {"poll_seconds": 0.1, "max_backoff_seconds": 30},
        "distribution": {"waves": [{"size": 0, "minutes": 60}]},
        "products": PRODUCTS,
    }
    base.update(sections)
    return make_settings(**base)


async def teaser_in(tg: TelegramEmulator, group: int, timeout: float = 10.0) -> TgMessage:
    """The newest teaser (a message with a Claim button) in a partner's group."""
    return await tg.wait_for_async(
        lambda: next((m for m in reversed(tg.bot_messages(group)) if m.button("claim:")), None),
        timeout,
        f"a teaser in group {group}",
    )


async def private_in(
    tg: TelegramEmulator,
    user: int,
    predicate: Callable[[TgMessage], bool],
    timeout: float = 10.0,
) -> TgMessage:
    """The newest bot message in a user's private chat that satisfies ``predicate``."""
    return await tg.wait_for_async(
        lambda: next((m for m in reversed(tg.bot_messages(user)) if predicate(m)), None),
        timeout,
        f"a matching private message to {user}",
    )


def _data(markup: dict[str, Any] | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [str(b.get("callback_data", "")) for row in rows for b in row]


def claim_offers(message: TgMessage) -> set[int]:
    """The offers of the Claim buttons a message has had, in any of its versions."""
    markups = [v.reply_markup for v in message.history] + [message.reply_markup]
    return {
        int(data.split(":")[1])
        for markup in markups
        for data in _data(markup)
        if data.startswith("claim:")
    }


class TelegramChat(ChatDriver):
    name = "telegram"

    def __init__(self, bot: RunningBot, tg: TelegramEmulator) -> None:
        self.tg = tg
        self.driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")

    def _with_button(self, chat: int, data: str) -> TgMessage | None:
        return next(
            (m for m in reversed(self.tg.bot_messages(chat)) if data in _data(m.reply_markup)), None
        )

    async def _press(self, user: int, chat: int, data: str) -> str:
        """Press the button ``data`` where the chat shows it; the toast or alert text."""
        message = await eventually(
            lambda: self._with_button(chat, data), what=f"a {data!r} button in {chat}"
        )
        before = len(self.tg.callback_answers(user))
        pressed = await self.driver.press_button(user, message, data)
        assert pressed.status == 200, pressed
        answers = await eventually(
            lambda: self.tg.callback_answers(user)[before:], what=f"the answer to {data!r}"
        )
        return answers[0].text or ""

    async def _type(self, user: int, text: str) -> str:
        """Type ``text`` in the private chat; the bot's reply to it."""
        before = len(self.tg.bot_messages(user))
        sent = await self.driver.send_text(user, text)
        assert sent.status == 200, sent
        replies = await eventually(
            lambda: [
                m
                for m in self.tg.bot_messages(user)[before:]
                if m.plain_text.startswith(ANSWER_MARKS)
            ],
            what=f"the reply to {text!r}",
        )
        return replies[0].plain_text

    async def _question(self, user: int, lead_id: int) -> TgMessage:
        """The question (a forced reply) the bot asked about the lead."""
        return await eventually(
            lambda: next(
                (
                    m
                    for m in reversed(self.tg.bot_messages(user))
                    if (m.reply_markup or {}).get("force_reply") and mentions(m.plain_text, lead_id)
                ),
                None,
            ),
            what=f"a question about lead #{lead_id}",
        )

    async def teaser(self, member: Member, lead_id: int, offer_id: int) -> Teaser:
        group = int(member.channel)
        message = await eventually(
            lambda: self._with_button(group, f"claim:{offer_id}"),
            what=f"teaser {offer_id} in group {group}",
        )
        return Teaser(member, lead_id, offer_id, message.plain_text, message)

    async def teaser_now(self, teaser: Teaser) -> str:
        return self.tg.message(int(teaser.member.channel), teaser.ref.message_id).plain_text

    async def teasers_shown(self, member: Member) -> set[int]:
        return {o for m in self.tg.bot_messages(int(member.channel)) for o in claim_offers(m)}

    async def claim(self, member: Member, teaser: Teaser) -> str:
        user = int(member.user)
        before = len(self.tg.callback_answers(user))
        pressed = await self.driver.press_button(user, teaser.ref, f"claim:{teaser.offer_id}")
        assert pressed.status == 200, pressed
        answers = await eventually(
            lambda: self.tg.callback_answers(user)[before:], what=f"the answer to {user}'s claim"
        )
        return answers[0].text or ""

    async def decline(self, member: Member, teaser: Teaser, reason: str) -> str:
        user, group = int(member.user), int(member.channel)
        await self._press(user, group, f"decline:{teaser.offer_id}")
        return await self._press(user, group, f"dr:{teaser.offer_id}:{reason}")

    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        user = int(member.user)
        message = await eventually(
            lambda: next(
                (
                    m
                    for m in reversed(self.tg.bot_messages(user))
                    if mentions(m.plain_text, lead_id) and containing in m.plain_text
                ),
                None,
            ),
            what=f"{containing!r} on {user}'s card #{lead_id}",
        )
        return message.plain_text

    async def private(self, member: Member) -> str:
        return "\n".join(m.plain_text for m in self.tg.bot_messages(int(member.user)))

    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        action, value = split_step(step)
        user = int(member.user)
        told = await self._press(user, user, f"st:{lead_id}:{action.value}")
        if action in SUB_MENU:  # the card's buttons become the reasons
            told = await self._press(user, user, f"{SUB_MENU[action]}:{lead_id}:{value}")
            if action is StatusAction.LOST:  # then: a note? Skip.
                told = await self._press(user, user, f"skip:{lead_id}")
            return told
        if action is StatusAction.WON:
            await self._question(user, lead_id)
            return await self._type(user, value)
        if action is StatusAction.FOLLOW_UP:
            await self._press(user, user, f"fu:{lead_id}:date")
            await self._question(user, lead_id)
            return await self._type(user, value.strftime("%d.%m.%Y"))
        return told

    async def command(self, member: Member, text: str) -> str:
        """The rep types ``/verb args`` in their private chat with the bot; its answer."""
        user = int(member.user)
        verb, _, args = text.partition(" ")
        before = len(self.tg.bot_messages(user))
        typed = await self.driver.command(user, verb, args, chat_id=user)
        assert typed.status == 200, typed
        answers = await eventually(
            lambda: [m.plain_text for m in self.tg.bot_messages(user)[before:]],
            what=f"the answer to /{text}",
        )
        return "\n".join(answers)

    async def staff(self, text: str) -> str:
        verb, _, args = text.partition(" ")
        before = len(self.tg.bot_messages(STAFF_CHAT))
        typed = await self.driver.command(STAFF_USER, verb, args, chat_id=STAFF_CHAT)
        assert typed.status == 200, typed
        answers = await eventually(
            lambda: [
                m.plain_text
                for m in self.tg.bot_messages(STAFF_CHAT)[before:]
                if not m.plain_text.startswith(FEED_MARK)
            ],
            what=f"the answer to /{text}",
        )
        return "\n".join(answers)

    async def staff_feed(self) -> str:
        return "\n".join(
            m.plain_text
            for m in self.tg.bot_messages(STAFF_CHAT)
            if m.plain_text.startswith(FEED_MARK)
        )


class TelegramSetup(Setup):
    name = "telegram"
    fixture = "telegram_emulator"

    def settings(
        self, make_settings: Callable[..., Settings], emulator: Any, **sections: Any
    ) -> Settings:
        emulator.limits.disable()  # not a test of flood limits
        staff = {"telegram_users": [STAFF_USER], **sections.pop("staff", {})}
        limits = {"global_per_second": 1000.0, "group_burst": 100, "group_per_minute": 6000.0}
        return telegram_settings(
            make_settings,
            emulator,
            telegram={"staff_chat_id": STAFF_CHAT, **limits},
            staff=staff,
            **sections,
        )

    def ids(self, index: int, partner_id: str) -> Ids:
        return Ids(user=str(user_of(index)), channel=str(group_of(index)))

    def partner_fields(self, ids: Ids) -> dict[str, Any]:
        return {"telegram_chat_id": int(ids.channel)}

    def rep_fields(self, ids: Ids) -> dict[str, Any]:
        return {"telegram_user_id": int(ids.user), "telegram_started_at": datetime.now(UTC)}

    def prepare(self, emulator: TelegramEmulator, members: Sequence[Member]) -> None:
        emulator.add_group(STAFF_CHAT, "leadbot staff")
        emulator.add_user(STAFF_USER, "Staff", language_code="de")
        for member in members:
            emulator.add_group(int(member.channel), member.partner_name)
            emulator.add_user(int(member.user), member.name.replace(" ", ""), language_code="de")
            emulator.start_user(int(member.user))

    async def start(
        self, bot: RunningBot, emulator: TelegramEmulator, members: Sequence[Member]
    ) -> ChatDriver:
        return TelegramChat(bot, emulator)
