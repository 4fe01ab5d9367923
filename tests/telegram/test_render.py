"""Telegram rendering: escaping, long packs split under 4096, valid HTML in every part."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.notices import LeadCardView, LeadDetails, MessageView, NoticeKind
from bot.handlers.telegram.render import MAX_MESSAGE, render_card, render_content, split_html
from bot.handlers.telegram.sales_kit import SCREEN, page, pages, summary
from bot.handlers.telegram.transport import classify
from bot.models import LeadStatus
from tests.emulators.telegram import html as tg_html


def _item(n: int, body: str, title: str = "Titel") -> dict:
    return {
        "kind": "argument",
        "key": f"k{n}",
        "title": f"{title} {n}",
        "body": body,
        "url": None,
        "valid_until": None,
        "change": None,
    }


def test_a_long_pack_is_split_into_valid_messages_under_the_limit() -> None:
    body = "\n".join(f"Zeile {i} mit <Sonderzeichen> & Text" for i in range(80))  # ~3000 chars
    view = MessageView(
        NoticeKind.CONTENT, "pack", "de", 7, {"items": [_item(n, body) for n in range(6)]}
    )
    parts = render_content(view)
    assert len(parts) >= 5
    seen = ""
    for part in parts:
        plain, _ = tg_html.parse(part)  # Telegram would accept it
        assert len(part) <= MAX_MESSAGE
        seen += plain
    for n in range(6):
        assert f"Titel {n}" in seen
    assert seen.count("Zeile 79 mit <Sonderzeichen> & Text") == 6
    assert parts[0].startswith("📎 <b>Verkaufsunterlagen zu Lead #7</b>")


def test_a_kit_of_twenty_long_items_is_a_list_and_pages_each_within_a_screen() -> None:
    body = "\n".join(f"Zeile {i} mit <Sonderzeichen> & Text" for i in range(80))  # ~3000 chars
    items = [_item(n, body, title="Ein recht langer Titel " * 8) for n in range(20)]
    view = MessageView(NoticeKind.CONTENT, "pack", "de", 7, {"items": items, "ref": 5})
    listed = summary(view)
    plain, _ = tg_html.parse(listed.text)
    assert len(plain) <= SCREEN and "20 Einträge" in plain
    shown = plain.count("• Argument: Ein recht langer Titel")
    assert 5 <= shown < 20 and all(len(line) < 110 for line in plain.splitlines())
    assert f"… und {20 - shown} weitere Einträge" in plain  # the rest: by paging
    assert [b.data for row in listed.keyboard for b in row] == ["kit:5:1"]
    count = len(pages(view))
    assert count > 20  # each item on its own page(s)
    for number in range(1, count + 1):
        shown = page(view, number)
        tg_html.parse(shown.text)  # valid HTML, Telegram would take it
        assert len(shown.text) <= SCREEN, number
    assert page(view, count + 5).text == page(view, count).text  # past the end: the last


def test_one_endless_line_is_cut_between_words_never_inside_an_entity() -> None:
    line = "a&b " * 3000  # 12 000 characters, escaped to far more
    parts = split_html([html.escape(line, quote=False)], limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    for part in parts:
        tg_html.parse(part)  # no half "&amp;"
    assert "".join(html.unescape(p).replace(" ", "") for p in parts) == line.replace(" ", "")


def _details(message: str) -> LeadDetails:
    return LeadDetails(
        id=3,
        status=LeadStatus.CLAIMED,
        company_name="A & B <GmbH>",
        industry="food",
        employees=12,
        annual_revenue_eur=None,
        domain=None,
        ticker=None,
        street=None,
        postal_code="80331",
        city="München",
        country="DE",
        contact_name="Eva",
        contact_email=None,
        contact_phone=None,
        contact_role=None,
        products=("X200",),
        estimated_value_eur=5000,
        timeline="3_months",
        message=message,
        campaign=None,
        score=None,
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        claimed_at=None,
        follow_up_on=None,
        revenue_eur=None,
        lost_reason=None,
    )


def test_the_card_fits_one_screen_however_long_the_prospects_text() -> None:
    view = LeadCardView(3, LeadStatus.CLAIMED, "claimed", _details("<x>" * 5000), ("won",), "en")
    card = render_card(view)
    plain, _ = tg_html.parse(card.text)
    assert len(plain) <= SCREEN and "A & B <GmbH>" in plain and plain.count("<x>") < 140
    assert [b.data for row in card.keyboard for b in row] == ["st:3:won"]


@pytest.mark.parametrize(
    ("error", "chat", "permanent", "retry_after"),
    [
        (RetryAfter(7), -100, False, 7.0),
        (Forbidden("Forbidden: bot can't initiate conversation with a user"), 42, False, None),
        (Forbidden("Forbidden: bot was blocked by the user"), 42, False, None),
        (Forbidden("Forbidden: bot was kicked from the supergroup chat"), -100, True, None),
        (BadRequest("Chat not found"), -100, True, None),
        (ChatMigrated(-1009), -100, True, None),
        (BadRequest("Can't parse entities: unsupported start tag"), 42, True, None),
        (TimedOut(), 42, False, None),
        (NetworkError("Bad Gateway"), -100, False, None),
    ],
)
def test_failures_are_classified(error, chat, permanent, retry_after) -> None:
    found = classify(error, chat)
    assert found.permanent is permanent and found.retry_after == retry_after
    if isinstance(error, ChatMigrated):
        assert "-1009" in str(found) and "telegram_chat_id" in str(found)
