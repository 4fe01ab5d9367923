"""Inline keyboards and callback data: pure builders, strict parsing, Telegram's 64 bytes."""

from __future__ import annotations

import pytest

from bot.handlers.telegram import keyboards as kb
from bot.leads.status_reports import HAND_BACK_REASONS, LOST_REASONS, StatusAction

BIGGEST = 10**18 - 1  # the largest id the parser accepts (18 digits)


def _data(keyboard: kb.Keyboard) -> list[str]:
    return [b.data for row in keyboard for b in row if b.data]


def test_claim_data_is_the_contract_and_round_trips() -> None:
    [[button, decline]] = kb.claim_keyboard(17, "de")
    assert button.data == "claim:17" and "Übernehmen" in button.text
    assert kb.parse_callback("claim:17") == kb.Callback("claim", 17)
    # The second button (DESIGN §6, second round): "Not for us".
    assert decline.data == "decline:17" and "Nichts für uns" in decline.text
    assert kb.parse_callback("decline:17") == kb.Callback("decline", 17)
    assert kb.parse_callback("dr:17:too_far") == kb.Callback("dr", 17, "too_far")
    assert kb.parse_callback("dr:17:bored") is None


def test_every_button_fits_64_bytes_and_parses_back_even_for_huge_ids() -> None:
    keyboards = [
        kb.claim_keyboard(BIGGEST, "en"),
        kb.decline_keyboard(BIGGEST, "de"),
        kb.status_keyboard(BIGGEST, [a.value for a in StatusAction], "en"),
        kb.lost_keyboard(BIGGEST, "de"),
        kb.hand_back_keyboard(BIGGEST, "de"),
        kb.follow_up_keyboard(BIGGEST, "en"),
        kb.skip_keyboard(BIGGEST, "en"),
        kb.erase_keyboard(BIGGEST, "en"),
        kb.leads_keyboard([(BIGGEST, "x" * 200)], "en"),
    ]
    for keyboard in keyboards:
        for data in _data(keyboard):
            assert len(data.encode()) <= kb.MAX_CALLBACK_BYTES
            parsed = kb.parse_callback(data)
            assert parsed is not None and parsed.id == BIGGEST, data


def test_status_keyboard_offers_only_the_given_actions_two_per_row() -> None:
    keyboard = kb.status_keyboard(5, ["meeting", "won", "lost"], "en")
    assert _data(keyboard) == ["st:5:meeting", "st:5:won", "st:5:lost"]
    assert [len(row) for row in keyboard] == [2, 1]
    assert kb.status_keyboard(5, [], "en") == ()


def test_sub_menus_carry_every_reason_and_a_way_back() -> None:
    assert _data(kb.lost_keyboard(3, "de")) == [f"lost:3:{r}" for r in LOST_REASONS] + ["back:3"]
    hand_back = _data(kb.hand_back_keyboard(3, "de"))
    assert hand_back == [f"hb:3:{r}" for r in HAND_BACK_REASONS] + ["back:3"]
    assert _data(kb.follow_up_keyboard(3, "de")) == [
        "fu:3:1",
        "fu:3:3",
        "fu:3:7",
        "fu:3:date",
        "back:3",
    ]


@pytest.mark.parametrize(
    "data",
    [
        "",
        None,
        "claim:",
        "claim:abc",
        "claim:-1",
        "claim:0",  # no row has id 0
        "claim:1:extra",
        "st:1",
        "st:1:dance",
        "lost:1:bored",
        "hb:1:price",  # a lost reason is not a hand-back reason
        "fu:1:2",
        "open:1:x",
        "drop:1",
        "CLAIM:1",
        "claim:1234567890123456789",  # 19 digits
        "claim:" + "1" * 70,
    ],
)
def test_anything_else_is_refused(data: str | None) -> None:
    assert kb.parse_callback(data) is None


def test_builders_refuse_data_telegram_or_the_parser_would_not_take() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        kb.callback_data("lost", 1, "bored")
    with pytest.raises(ValueError, match="unknown callback kind"):
        kb.callback_data("drop", 1)
    with pytest.raises(ValueError, match="not valid"):
        kb.callback_data("claim", 10**30)


def test_markup_is_ptb_inline_keyboard_and_none_removes_it() -> None:
    markup = kb.markup(kb.claim_keyboard(9, "en"))
    assert markup is not None
    assert markup.inline_keyboard[0][0].callback_data == "claim:9"
    link = kb.markup(kb.link_keyboard("Open", "https://t.me/bot"))
    assert link is not None and link.inline_keyboard[0][0].url == "https://t.me/bot"
    assert kb.markup(()) is None
