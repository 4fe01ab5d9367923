"""An owner's lead card asked for with ``/leads 12``: a message the outbox keeps current.

Slack cannot edit an ephemeral answer later (``chat.update`` takes real messages only), so
the card a rep of the owning company asks for is posted into their direct messages with
leadbot, where the claim card is, and recorded as their live card
(:meth:`~bot.chat.interactions.Interactions.card_shown`, as Telegram does for ``/lead``).
A recall, a colleague's takeover, a departure or a status change then edits it in place
like the claim card. Typed anywhere else, the answer says where the card is. Staff's view
of a lead (no buttons) stays an ephemeral answer: it is not a card anyone acts on.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.identity import Identity
from bot.chat.results import Result
from bot.delivery.notices import LeadCardView
from bot.handlers.slack.deps import SlackDeps
from bot.handlers.slack.kit import Message, esc, section
from bot.handlers.slack.lead_cards import lead_card
from bot.handlers.slack.transport import encode_ref
from bot.i18n import t

log = logging.getLogger(__name__)


def kept_current(result: Result, who: Identity) -> LeadCardView | None:
    """The card, when it is one the outbox should keep current: an owner's, with buttons."""
    if isinstance(result, LeadCardView) and result.actions and who.rep_id is not None:
        return result
    return None


async def post_card(
    deps: SlackDeps, client: AsyncWebClient, who: Identity, card: LeadCardView, typed_in: str | None
) -> Message | None:
    """Post ``card`` into ``who``'s DM and track it; the answer for where it was asked
    (None: it was asked in that DM, where the card itself is the answer)."""
    message = lead_card(card)
    posted = await client.chat_postMessage(
        channel=who.user_id,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    channel, ts = str(posted["channel"]), str(posted["ts"])
    await deps.interactions.card_shown(who, card.lead_id, encode_ref(who.user_id, channel, ts))
    if typed_in == channel:
        return None
    words = esc(t(who.language, "slack.card_in_dm", lead_id=card.lead_id))
    return Message(f":briefcase: {words}", [section(f":briefcase: {words}")])
