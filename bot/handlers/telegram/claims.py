"""The Claim button under a teaser: ``claim:<offer id>``.

The claim itself is the core's (a ``Claim`` command: one conditional UPDATE, so a Slack
rep and a Telegram rep pressing at the same moment get exactly one winner). This module
only turns its outcome into the answer the presser sees: a short toast for the winner (the
lead card and content pack follow privately through the outbox; the teasers everywhere are
edited to "taken" by the notices the core queued), an alert for everyone else.

A winner the bot cannot write to yet (never opened the private chat) keeps the lead; the
answer opens ``t.me/<bot>?start=lead_<id>``, and their ``/start`` delivers the details.
"""

from __future__ import annotations

from bot.chat import commands as c
from bot.chat.results import Reply
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.onboarding import lead_payload, may_message
from bot.handlers.telegram.render import reply_plain
from bot.handlers.telegram.updates import PressIn
from bot.i18n import t


async def handle_claim(tg: TelegramBot, press: PressIn, offer_id: int, answer: Answer) -> None:
    who = await tg.identify(press.person)
    reply = await tg.interactions.execute(who, c.Claim(offer_id))
    assert isinstance(reply, Reply)
    language = who.language
    if not reply.ok:  # taken, closed, not offered to this partner, unknown user, ...
        await answer(reply_plain(reply, language), alert=True)
        return
    if await may_message(tg.runtime, press.person.user_id):
        await answer(reply_plain(reply, language))
        return
    url = tg.deep_link(lead_payload(reply.lead_id))
    text = t(language, "telegram.claim_open_chat", lead_id=reply.lead_id)
    await answer(text, alert=url is None, url=url)
