"""``best_language``: the cockpit's reading of ``Accept-Language``, without HTTP.

What pages show is tested over HTTP in ``test_accept_language.py``; here the cases a page
cannot tell apart from the install's own language: ties that only ``*`` made.
"""

from __future__ import annotations

import pytest

from bot.i18n.accept_language import best_language


@pytest.mark.parametrize(
    ("header", "prefer", "expected"),
    [
        ("*", "en", "en"),  # any language: the install's
        ("*", "de", "de"),
        ("fr, *;q=0.5", "en", "en"),
        ("*, de;q=0.5", "en", "en"),  # * covers English only: German is named, lower
        ("de;q=0.5, *", "de", "en"),
        ("en, *", "de", "en"),  # named and listed first
        ("*", None, "de"),  # no preference: the first of LANGUAGES
    ],
)
def test_star(header: str, prefer: str | None, expected: str) -> None:
    assert best_language(header, prefer=prefer) == expected


@pytest.mark.parametrize("header", [None, "", "   ", ",", "fr", "*;q=0", "de;q=0, en;q=0.000"])
def test_nothing_acceptable_is_none(header: str | None) -> None:
    assert best_language(header, prefer="de") is None


def test_supported_languages_can_be_given() -> None:
    assert best_language("fr;q=0.9, de;q=0.8", supported=("de", "fr")) == "fr"
    assert best_language("fr;q=0.9, de;q=0.8", supported=("de",)) == "de"
