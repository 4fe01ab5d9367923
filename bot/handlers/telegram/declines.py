"""“Not for us” under a teaser: ``decline:<offer>`` shows the reasons, a reason declines.

The reasons replace the teaser's buttons (with a Back button); a reason declines at once
through a ``Decline`` command; "other" asks for a few words first (a forced reply in the
same chat — Telegram delivers replies to the bot's questions also in groups). The teaser
itself is edited to "declined by …" by the notice the core queues. The buttons speak the
teaser's language: in the partner's group the partner's, which every colleague reads — not
that of the rep who pressed (a toast or question to them speaks theirs). Only the
partner's own reps may press them: anyone else in the group is told so, and the teaser keeps
its buttons.
"""

from __future__ import annotations

from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import Reply
from bot.errors import InvalidInput
from bot.handlers.telegram import inputs
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.telegram.render import reply_html, reply_plain
from bot.handlers.telegram.updates import Person, PressIn, TextIn
from bot.i18n import t
from bot.leads.declines import validate_decline
from bot.models import Offer, Partner


async def _decline(
    tg: TelegramBot, who: Identity, offer_id: int, reason: str, note: str | None
) -> Reply:
    reply = await tg.interactions.execute(who, c.Decline(offer_id, reason, note))
    assert isinstance(reply, Reply)
    return reply


async def handle_press(tg: TelegramBot, press: PressIn, cb: kb.Callback, answer: Answer) -> None:
    who = await tg.identify(press.person)
    language = who.language
    if who.rep_id is None:
        await answer(t(language, "claim.unknown_user"), alert=True)
        return
    partner = await _offer_partner(tg, cb.id)
    if partner is None or partner.id != who.partner_id:
        # Another partner's teaser (a rep still in a group they left, say): its buttons
        # are that partner's reps' — swapping or removing them would lock them out.
        refused = "decline.not_found" if partner is None else "decline.not_offered"
        await answer(t(language, refused), alert=True)
        return
    chat_id = press.chat_id if press.chat_id is not None else press.person.user_id
    # The teaser's language: in a group its partner's (every colleague reads it); in the
    # private chat (``/teasers``) the presser's.
    shown = language if press.private else partner.language
    if cb.kind == kb.DECLINE:
        await answer()
        await _keyboard(tg, press, kb.decline_keyboard(cb.id, shown))
    elif cb.kind == kb.TEASER_BACK:
        await answer()
        await _keyboard(tg, press, kb.claim_keyboard(cb.id, shown))
    elif cb.value == "other":
        await answer()
        await _ask_note(tg, press.person, chat_id, cb.id, language)
    else:
        assert cb.value is not None
        reply = await _decline(tg, who, cb.id, cb.value, None)
        await answer(reply_plain(reply, language), alert=not reply.ok)
        if not reply.ok:
            await _keyboard(tg, press, ())  # closed meanwhile: nothing left to press


async def handle_note(tg: TelegramBot, message: TextIn, pending: inputs.Pending) -> None:
    """The few words after "other": decline with them — or, when they cannot be taken
    (too long, a control character), ask again saying why."""
    who = await tg.identify(message.person)
    user_id = message.person.user_id
    text = message.text.strip()
    if text.lower() in inputs.CANCEL_WORDS:
        await inputs.clear(tg.runtime, user_id)
        await tg.send(message.chat_id, escape_telegram(t(who.language, "telegram.cancelled")))
        return
    try:
        validate_decline("other", text)
    except InvalidInput as error:
        problem = error.said(who.language)
        await _ask_note(tg, message.person, message.chat_id, pending.lead_id, who.language, problem)
        return
    await inputs.clear(tg.runtime, user_id)
    reply = await _decline(tg, who, pending.lead_id, "other", text)
    await tg.send(message.chat_id, reply_html(reply, who.language))


async def handle_late_note(tg: TelegramBot, message: TextIn) -> None:
    """A reply in the partner's group to the bot after the reason's question expired: told,
    naming the rep as the question did, that nothing was declined — as in the private chat.
    Any other reply to the bot in a group is answered with nothing (it reads only what is
    addressed to it)."""
    expired = await inputs.expired_for(tg.runtime, message.person.user_id, inputs.DECLINE_NOTE)
    if expired is None:
        return
    who = await tg.identify(message.person)
    said = escape_telegram(inputs.too_late(expired, who.language))
    await tg.send(message.chat_id, f"{_mention(message.person)}: {said}")


def _mention(person: Person) -> str:
    """The person's name as a Telegram mention (HTML), so a group sees whom a line is for."""
    name = escape_telegram(person.first_name or "…")
    return f'<a href="tg://user?id={person.user_id}">{name}</a>'


async def _ask_note(
    tg: TelegramBot,
    person: Person,
    chat_id: int,
    offer_id: int,
    language: str,
    problem: str | None = None,
) -> None:
    """Ask why the offer is "not for us" (a forced reply), and remember what for. In the
    partner's group the question names the person who pressed: the selective reply field
    opens for them only, and their answer is taken only as a reply to it."""
    question = escape_telegram(t(language, "decline.prompt_note"))
    if chat_id != person.user_id:
        question = f"{_mention(person)}: {question}"
    await inputs.ask(
        tg,
        person.user_id,
        chat_id,
        inputs.Pending(inputs.DECLINE_NOTE, offer_id),
        question,
        problem,
        force_reply=t(language, "decline_reason.other"),
    )


async def _offer_partner(tg: TelegramBot, offer_id: int) -> Partner | None:
    """The partner a teaser's offer was made to (None: no such offer)."""
    async with tg.runtime.uow() as uow:
        offer = await uow.session.get(Offer, offer_id)
        return await uow.session.get(Partner, offer.partner_id) if offer else None


async def _keyboard(tg: TelegramBot, press: PressIn, keyboard: kb.Keyboard) -> None:
    if press.chat_id is not None and press.message_id is not None:
        await tg.edit_keyboard(press.chat_id, press.message_id, keyboard)
