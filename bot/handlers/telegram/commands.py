"""Telegram commands: ``/<verb> <args>`` in the shared grammar, plus ``/start`` and ``/cancel``
(``/abbrechen``).

``/leads``, ``/lead 17``, ``/won 17 12.500``, ``/explain 17 P1``, ``/release 17 consent`` … —
every verb of :mod:`bot.chat.grammar` works, and the core decides who may do what. What is
Telegram's own is presentation: lead details never go to a group (in a partner group
``/leads`` and ``/lead`` answer with a button to the private chat), staff commands work in
a private chat and in the staff chat (``[telegram] staff_chat_id``), and erasing asks for
a confirmation tap first (on a phone a slip is easy and erasure is final).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.chat import commands as c
from bot.chat.grammar import UsageError, parse
from bot.chat.identity import Identity
from bot.chat.permissions import RULES, Who
from bot.chat.results import (
    Explanation,
    LeadList,
    LeadSummary,
    Profile,
    Reply,
    Result,
    TeaserList,
    rep_list_heading,
)
from bot.delivery.notices import LeadCardView, MessageRef
from bot.directory.availability import local_date
from bot.handlers.telegram import inputs
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.menu import help_text
from bot.handlers.telegram.onboarding import handle_start, to_private
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.telegram.render import (
    render,
    render_card,
    render_teaser,
    reply_html,
    reply_plain,
    split_html,
)
from bot.handlers.telegram.updates import CommandIn, PressIn
from bot.handlers.text import reply_text
from bot.i18n import t
from bot.reports.model import Report as PipelineReport

PIPELINE_LIMIT = 30
"""Open leads the pipeline lists by number; the rest are counted, with the cockpit's link."""
LEAD_BUTTONS = 20
"""/leads lists every lead; the first this many get a button that opens its card (a
keyboard of hundreds of buttons helps nobody on a phone: `/lead 17` opens any of them)."""
MAX_TABLE_MESSAGES = 5
"""Messages a table answer (explain, the pipeline) takes at most, as on Slack."""
TABLE_LENGTH = 3900
"""Characters per table message: room below Telegram's 4096 for the line counting the rest."""
PRIVATE = (c.ListLeads, c.ShowLead, c.Teasers, c.Progress, c.Claim, c.WhoAmI)
"""Commands whose answer is about one person's leads: only in the private chat."""

PRIVATE_ANSWER: dict[type, str] = {
    c.ListLeads: "telegram.private_only",
    c.ShowLead: "telegram.private_only",
    c.Progress: "telegram.private_only",
    c.Teasers: "telegram.teasers_private",
    c.Claim: "telegram.claim_private",
    c.WhoAmI: "telegram.whoami_private",
}
"""What such a command typed in a group is told: "lead details only in private" fits the
first three, not a claim typed instead of pressed, nor "who am I"."""


def _staff_chat(tg: TelegramBot, chat_id: int) -> bool:
    return bool(tg.settings.staff_chat_id) and chat_id == tg.settings.staff_chat_id


async def handle_command(tg: TelegramBot, cmd: CommandIn) -> None:
    await inputs.clear(tg.runtime, cmd.person.user_id)  # a command ends any open question
    if cmd.name == "start":
        await handle_start(tg, cmd)
        return
    who = await tg.identify(cmd.person)
    if cmd.name in inputs.CANCEL_WORDS:  # /cancel, and /abbrechen as German reps type it
        await tg.send(cmd.chat_id, escape_telegram(t(who.language, "telegram.cancelled")))
        return
    today = local_date(tg.runtime.settings, tg.runtime.clock.now())
    try:
        command = parse(" ".join((cmd.name, *cmd.args)), today)
    except UsageError as error:
        await _not_understood(tg, who, cmd, error)
        return
    in_group = not cmd.private and not _staff_chat(tg, cmd.chat_id)
    if isinstance(command, PRIVATE) and in_group:
        # The teasers are in the group already; a list of them answers only the asker.
        await to_private(tg, cmd.chat_id, who.language, PRIVATE_ANSWER[type(command)])
        return
    if isinstance(command, c.CockpitLink) and not cmd.private:
        # A sign-in link is a credential: whoever reads it first gets the session, and
        # not everyone in the staff chat need be staff. No link is made in any group.
        await to_private(tg, cmd.chat_id, who.language, "telegram.cockpit_private")
        return
    if RULES[type(command)] is Who.STAFF and who.is_staff and in_group:
        await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(t(who.language, "telegram.staff_where")))
        return
    if isinstance(command, c.ListLeads) and not who.known:
        await tg.send(cmd.chat_id, escape_telegram(t(who.language, "telegram.not_linked")))
        return
    if isinstance(command, c.Erase) and who.is_staff:
        text = t(who.language, "telegram.erase_confirm", lead_id=command.lead_id)
        keyboard = kb.erase_keyboard(command.lead_id, who.language)
        await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(text), keyboard)
        return
    if isinstance(command, c.Help):
        await tg.send(cmd.chat_id, help_text(who))
        return
    result = await tg.interactions.execute(who, command)
    await show(tg, who, cmd.chat_id, result)


async def _not_understood(
    tg: TelegramBot, who: Identity, cmd: CommandIn, error: UsageError
) -> None:
    if error.key == "usage.unknown":
        if cmd.private:  # in groups, other bots' commands are none of our business
            text = t(who.language, "telegram.unknown_command", command=f"/{cmd.name}")
            await tg.send(cmd.chat_id, escape_telegram(text))
        return
    detail = reply_text(who.language, error.key, error.params)
    if "verb" in error.params:  # "won: …" names the command as Telegram users type it
        detail = "/" + detail
    await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(detail))


async def show(tg: TelegramBot, who: Identity, chat_id: int, result: Result) -> None:
    """Send a command's answer to ``chat_id``."""
    language = who.language
    if isinstance(result, LeadCardView):
        await send_card(tg, who, chat_id, result)
    elif isinstance(result, LeadList):
        await _leads(tg, who, chat_id, result)
    elif isinstance(result, PipelineReport):
        await _pipeline(tg, chat_id, result, [], language)
    elif isinstance(result, Explanation):
        await _explanation(tg, chat_id, result, language)
    elif isinstance(result, TeaserList):
        if not result.teasers:
            await tg.send(chat_id, escape_telegram(t(language, "reply.no_teasers")))
        for view in result.teasers:
            message = render_teaser(view)
            await tg.send(chat_id, message.text, message.keyboard)
    elif isinstance(result, Reply):
        await tg.send(chat_id, reply_html(result, language))
    else:
        assert isinstance(result, Profile)
        await tg.send(chat_id, escape_telegram(result.words(language)))


async def _explanation(tg: TelegramBot, chat_id: int, result: Explanation, language: str) -> None:
    """Monospace keeps the columns: each message is one <pre> block of whole lines."""
    chunks = split_html([escape_telegram("\n".join(result.lines))], limit=TABLE_LENGTH)

    def more(count: int) -> str:
        return t(language, "explain.more_lines", count=count, lead_id=result.lead_id)

    await _at_most_five(tg, chat_id, [f"<pre>{chunk}</pre>" for chunk in chunks], more)


async def _pipeline(
    tg: TelegramBot, chat_id: int, report: PipelineReport, leads: list[LeadSummary], language: str
) -> None:
    """The staff report: every partner and campaign (none were cut unsaid), the open leads
    up to :data:`PIPELINE_LIMIT` (counted beyond)."""
    text = render("pipeline.j2", report=report, leads=leads, lang=language, limit=PIPELINE_LIMIT)

    def more(count: int) -> str:
        return t(language, "telegram.pipeline.more_lines", count=count)

    await _at_most_five(tg, chat_id, split_html([text], limit=TABLE_LENGTH), more)


async def _at_most_five(
    tg: TelegramBot, chat_id: int, messages: list[str], more: Callable[[int], str]
) -> None:
    """Send a long table answer in at most :data:`MAX_TABLE_MESSAGES` messages (hundreds
    of partners must not flood a staff chat); the last then ends with ``more(lines left)``,
    which says where all of them are."""
    shown, rest = messages[:MAX_TABLE_MESSAGES], messages[MAX_TABLE_MESSAGES:]
    for n, text in enumerate(shown, start=1):
        if rest and n == len(shown):
            left = sum(1 for part in rest for line in part.splitlines() if line.strip())
            text += "\n" + escape_telegram(more(left))
        await tg.send(chat_id, text)


async def _leads(tg: TelegramBot, who: Identity, chat_id: int, result: LeadList) -> None:
    language = who.language
    if result.pipeline is not None and (not who.is_rep or _staff_chat(tg, chat_id)):
        await _pipeline(tg, chat_id, result.pipeline, result.everyone or [], language)
        return
    leads = result.mine
    text = render("leads.j2", leads=leads, heading=rep_list_heading(leads), lang=language)
    buttons = kb.leads_keyboard(
        ((lead.id, lead.company or "–") for lead in leads[:LEAD_BUTTONS]), language
    )
    # Many leads (or long company names) are more than one message takes: every lead is
    # listed, over as many messages as it needs; the buttons go under the last one.
    *first, last = split_html([text])
    for part in first:
        await tg.send(chat_id, part)
    await tg.send(chat_id, last, buttons)


async def send_card(tg: TelegramBot, who: Identity, chat_id: int, card: LeadCardView) -> None:
    """The full card, with buttons for its owner (then the card the outbox keeps current)."""
    message = render_card(card)
    sent = await tg.send(chat_id, message.text, message.keyboard)
    if sent is not None and card.actions:
        ref = MessageRef(str(chat_id), str(sent.message_id))
        await tg.interactions.card_shown(who, card.lead_id, ref)


async def handle_press(tg: TelegramBot, press: PressIn, cb: kb.Callback, answer: Answer) -> None:
    """Buttons that belong to commands: open a card (from /leads), confirm an erasure."""
    who = await tg.identify(press.person)
    chat_id = press.chat_id if press.chat_id is not None else press.person.user_id
    if cb.kind == kb.OPEN:
        await answer()
        await show(tg, who, chat_id, await tg.interactions.execute(who, c.ShowLead(cb.id)))
        return
    if not who.is_staff:
        await answer(t(who.language, "reply.staff_only"), alert=True)
        return
    if press.message_id is not None and press.chat_id is not None:
        await tg.edit_keyboard(press.chat_id, press.message_id, ())  # asked and answered
    if cb.kind == kb.CANCEL:
        await answer(t(who.language, "telegram.cancelled"))
        return
    reply = await tg.interactions.execute(who, c.Erase(cb.id))
    assert isinstance(reply, Reply)
    await answer(reply_plain(reply, who.language), alert=not reply.ok)
    if reply.ok:
        await tg.send(chat_id, reply_html(reply, who.language))
