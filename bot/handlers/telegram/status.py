"""Progress from the phone: the lead card's buttons, their sub-menus and typed answers.

Contacted / Meeting / Proposal report with one tap. Won asks for the revenue (a
``ForceReply`` question; a reply that is no amount is asked again). Lost shows the reasons,
then asks for an optional note (Skip button, or type "skip"). Follow-up offers +1 day,
+3 days, +1 week or a typed date. Hand back shows the reasons. Every report is a ``Progress``
command run by ``Interactions.execute``; the card itself is edited by the lead-card notice the core
queues where the owner's card lives (:mod:`bot.leads.cards`), so the card shows the same state
whichever platform a report came from.
"""

from __future__ import annotations

from datetime import timedelta

from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import Reply
from bot.delivery.notices import LeadCardView
from bot.directory.availability import local_date
from bot.errors import InvalidInput
from bot.handlers.telegram import inputs
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.telegram.render import reply_html, reply_plain
from bot.handlers.telegram.updates import PressIn, TextIn
from bot.i18n import t
from bot.leads.amounts import parse_revenue
from bot.leads.status_reports import (
    NEEDS,
    Needs,
    Report,
    StatusAction,
    parse_day,
    validate_report,
)

ONE_TAP = frozenset(action for action, needs in NEEDS.items() if needs is Needs.NOTHING)
SUB_MENUS = {  # a keyboard of choices instead of typing
    StatusAction.LOST: kb.lost_keyboard,
    StatusAction.FOLLOW_UP: kb.follow_up_keyboard,
    StatusAction.HAND_BACK: kb.hand_back_keyboard,
}


async def _card(tg: TelegramBot, who: Identity, lead_id: int) -> LeadCardView | Reply:
    card = await tg.interactions.execute(who, c.ShowLead(lead_id))
    assert isinstance(card, LeadCardView | Reply)
    return card


async def _report(tg: TelegramBot, who: Identity, lead_id: int, report: Report) -> Reply:
    reply = await tg.interactions.execute(who, c.Progress(lead_id, report))
    assert isinstance(reply, Reply)
    return reply


async def handle_press(tg: TelegramBot, press: PressIn, cb: kb.Callback, answer: Answer) -> None:
    who = await tg.identify(press.person)
    language = who.language
    chat_id = press.chat_id if press.chat_id is not None else press.person.user_id
    lead_id = cb.id
    if not who.known:
        await answer(t(language, "reply.unknown_user"), alert=True)
        return
    card = await _card(tg, who, lead_id)
    if isinstance(card, Reply):
        await answer(reply_plain(card, language), alert=True)
        return
    if cb.kind == kb.BACK:
        await answer()
        await _keyboard(tg, press, kb.status_keyboard(lead_id, card.actions, language))
        return
    if cb.kind == kb.SKIP:
        await _skip(tg, who, press, lead_id, answer)
        return
    wanted = {
        kb.STATUS: cb.value,
        kb.LOST: StatusAction.LOST.value,
        kb.HAND_BACK: StatusAction.HAND_BACK.value,
        kb.FOLLOW_UP: StatusAction.FOLLOW_UP.value,
    }[cb.kind]
    if wanted not in card.actions:  # a stale card: the lead moved on meanwhile
        await answer(t(language, "telegram.not_now"), alert=True)
        await _keyboard(tg, press, kb.status_keyboard(lead_id, card.actions, language))
        return
    if cb.kind == kb.STATUS:
        await _status(tg, who, press, lead_id, StatusAction(wanted), card, answer)
    elif cb.kind == kb.LOST:
        await answer()
        await _keyboard(tg, press, kb.status_keyboard(lead_id, card.actions, language))
        pending = inputs.Pending(inputs.LOST_NOTE, lead_id, cb.value)
        await _ask_note(tg, press.person.user_id, chat_id, pending, language)
    elif cb.kind == kb.HAND_BACK:
        report = Report(StatusAction.HAND_BACK, reason=cb.value)
        await _report_by_press(tg, who, lead_id, report, answer)
    elif cb.value == kb.PICK_DATE:
        await answer()
        await _ask(tg, press.person.user_id, chat_id, inputs.FOLLOW_UP_DATE, lead_id, language)
    else:
        today = local_date(tg.runtime.settings, tg.runtime.clock.now())
        day = today + timedelta(days=int(cb.value or 0))
        report = Report(StatusAction.FOLLOW_UP, follow_up_on=day)
        await _report_by_press(tg, who, lead_id, report, answer)
        await _keyboard(tg, press, kb.status_keyboard(lead_id, card.actions, language))


async def _status(
    tg: TelegramBot,
    who: Identity,
    press: PressIn,
    lead_id: int,
    action: StatusAction,
    card: LeadCardView,
    answer: Answer,
) -> None:
    chat_id = press.chat_id if press.chat_id is not None else press.person.user_id
    if action in ONE_TAP:
        await _report_by_press(tg, who, lead_id, Report(action), answer)
    elif NEEDS[action] is Needs.REVENUE:
        await answer()
        await _ask(tg, press.person.user_id, chat_id, inputs.REVENUE, lead_id, who.language)
    else:
        await answer()
        await _keyboard(tg, press, SUB_MENUS[action](lead_id, who.language))


async def _skip(
    tg: TelegramBot, who: Identity, press: PressIn, lead_id: int, answer: Answer
) -> None:
    user_id = press.person.user_id
    pending = await inputs.pending_for(tg.runtime, user_id)
    if pending is None or pending.kind != inputs.LOST_NOTE or pending.lead_id != lead_id:
        # Only this lead's expired note is Skip's to forget: an expired question of another
        # kind stays, so its late answer is still told it came too late.
        expired = (
            await inputs.expired_for(tg.runtime, user_id, inputs.LOST_NOTE, lead_id)
            if pending is None
            else None
        )
        if expired is not None:
            await answer(inputs.too_late(expired, who.language), alert=True)
        else:
            await answer(t(who.language, "telegram.input_expired"), alert=True)
        if press.chat_id is not None and press.message_id is not None:
            await tg.edit_keyboard(press.chat_id, press.message_id, ())  # nothing to save
        return
    await inputs.clear(tg.runtime, press.person.user_id)
    report = Report(StatusAction.LOST, reason=pending.reason)
    await _report_by_press(tg, who, lead_id, report, answer)
    if press.chat_id is not None and press.message_id is not None:
        await tg.edit_keyboard(press.chat_id, press.message_id, ())  # the Skip button is done


async def _report_by_press(
    tg: TelegramBot, who: Identity, lead_id: int, report: Report, answer: Answer
) -> None:
    reply = await _report(tg, who, lead_id, report)
    await answer(reply_plain(reply, who.language), alert=not reply.ok)


async def _keyboard(tg: TelegramBot, press: PressIn, keyboard: kb.Keyboard) -> None:
    if press.chat_id is not None and press.message_id is not None:
        await tg.edit_keyboard(press.chat_id, press.message_id, keyboard)


async def _ask_note(
    tg: TelegramBot,
    user_id: int,
    chat_id: int,
    pending: inputs.Pending,
    language: str,
    problem: str | None = None,
) -> None:
    """Ask for the note on a loss (or Skip), and remember the reason chosen."""
    reason = t(language, f"lost_reason.{pending.reason}")
    text = t(
        language,
        "telegram.prompt.lost_note",
        lead_id=pending.lead_id,
        reason=reason,
        minutes=inputs.TTL_MINUTES,
    )
    keyboard = kb.skip_keyboard(pending.lead_id, language)
    await inputs.ask(
        tg, user_id, chat_id, pending, escape_telegram(text), problem, keyboard=keyboard
    )


async def _ask(
    tg: TelegramBot,
    user_id: int,
    chat_id: int,
    kind: str,
    lead_id: int,
    language: str,
    problem: str | None = None,
) -> None:
    """Ask for a typed answer (ForceReply) and remember what it is for."""
    if kind == inputs.REVENUE:
        question, placeholder = t(language, "reply.revenue_prompt"), "12.500"
    else:
        question, placeholder = t(language, "telegram.prompt.follow_up_date"), "15.03.2026"
    asked = f"<b>#{lead_id}</b> · {escape_telegram(question)}"
    pending = inputs.Pending(kind, lead_id)
    await inputs.ask(tg, user_id, chat_id, pending, asked, problem, force_reply=placeholder)


# --- typed answers ------------------------------------------------------------------


async def handle_text(tg: TelegramBot, message: TextIn) -> None:
    """A text in the private chat: the answer to the pending question, if there is one."""
    if not message.private:
        return  # groups: the bot reads only what is addressed to it, and answers nothing
    user_id = message.person.user_id
    who = await tg.identify(message.person)
    language = who.language
    pending = await inputs.pending_for(tg.runtime, user_id)
    if pending is None:
        expired = await inputs.expired_for(tg.runtime, user_id)
        if expired is not None:
            said = inputs.too_late(expired, language)
        elif who.rep_id is None and not who.is_staff:  # no leads, no buttons: who they are
            said = t(language, "claim.unknown_user")
        else:
            said = t(language, "telegram.use_buttons")
        await tg.send(message.chat_id, escape_telegram(said))
        return
    text = message.text.strip()
    if text.lower() in inputs.CANCEL_WORDS:
        await inputs.clear(tg.runtime, user_id)
        await tg.send(message.chat_id, escape_telegram(t(language, "telegram.cancelled")))
        return
    if pending.kind == inputs.REVENUE:
        try:
            revenue = parse_revenue(text)
        except InvalidInput as error:
            problem = error.said(language)
            await _ask(
                tg, user_id, message.chat_id, pending.kind, pending.lead_id, language, problem
            )
            return
        report = Report(StatusAction.WON, revenue_eur=revenue)
    elif pending.kind == inputs.FOLLOW_UP_DATE:
        today = local_date(tg.runtime.settings, tg.runtime.clock.now())
        try:
            day = parse_day(text, today)
        except InvalidInput:
            problem = t(language, "telegram.date_invalid")
            await _ask(
                tg, user_id, message.chat_id, pending.kind, pending.lead_id, language, problem
            )
            return
        report = Report(StatusAction.FOLLOW_UP, follow_up_on=day)
        try:  # a date, but not one a follow-up can have (past, too far): ask again too
            validate_report(report, today)
        except InvalidInput as error:
            problem = error.said(language)
            await _ask(
                tg, user_id, message.chat_id, pending.kind, pending.lead_id, language, problem
            )
            return
    else:
        note = None if text.lower() in inputs.SKIP_WORDS else text
        report = Report(StatusAction.LOST, reason=pending.reason, note=note)
        try:  # a note that cannot be taken (too long, a control character): ask again
            validate_report(report, local_date(tg.runtime.settings, tg.runtime.clock.now()))
        except InvalidInput as error:
            await _ask_note(tg, user_id, message.chat_id, pending, language, error.said(language))
            return
    await inputs.clear(tg.runtime, user_id)
    reply = await _report(tg, who, pending.lead_id, report)
    await tg.send(message.chat_id, reply_html(reply, language))
