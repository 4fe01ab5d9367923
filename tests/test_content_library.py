"""The content library as marketing edits it: validation, versions, languages (no database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import Product, load_settings
from bot.content.library import (
    DEFAULT_LIBRARY,
    ItemKind,
    LibraryError,
    load_library,
)

PRODUCTS = [
    Product(id="X200", line="X-series"),
    Product(id="X500", line="X-series", min_certification="advanced"),
    Product(id="C10", line="Cloud"),
    Product(id="S3", line="Security", min_certification="advanced"),
]

GOOD = """\
line = "X-series"

[[arguments]]
key = "x-latency"
[arguments.de]
title = "Schnell"
body = "Unter 5 ms."
[arguments.en]
title = "Fast"
body = "Under 5 ms."

[[offers]]
key = "x-winter"
products = ["X200"]
valid_from = 2026-01-01
valid_until = 2026-03-31
[offers.de]
title = "Winterpaket"
body = "3 zum Preis von 2,5."
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(root: Path) -> list[str]:
    return [str(p) for p in load_library(root, PRODUCTS).problems]


def test_a_good_file_loads_with_keys_kinds_and_dates(tmp_path: Path) -> None:
    write(tmp_path, "x-series.toml", GOOD)
    library = load_library(tmp_path, PRODUCTS)
    items = library.by_key()
    assert set(items) == {"x-latency", "x-winter"}
    offer = items["x-winter"]
    assert offer.kind is ItemKind.OFFER and offer.line == "X-series"
    assert offer.products == ("X200",)
    assert (offer.valid_from, offer.valid_until) == (date(2026, 1, 1), date(2026, 3, 31))
    assert offer.source == "x-series.toml"


def test_shipped_sample_library_is_valid_for_the_sample_products() -> None:
    settings = load_settings(Path(__file__).resolve().parent.parent / "bot.toml", environ={})
    library = load_library(DEFAULT_LIBRARY, settings.products)
    assert library.problems == ()
    lines = {item.line for item in library.items}
    assert lines == {"X-series", "Cloud", "Security"}
    for line in lines:
        kinds = {i.kind for i in library.items if i.line == line}
        assert kinds == set(ItemKind), f"{line} lacks arguments, offers or services"
    assert all(set(i.texts) == {"de", "en"} for i in library.items)


def test_broken_files_name_file_line_and_field(tmp_path: Path) -> None:
    write(tmp_path, "a-ok.toml", GOOD)
    write(
        tmp_path,
        "b-broken.toml",
        """\
line = "X-series"
colour = "blue"

[[offers]]
key = "b-offer"
valid_until = "31.05.2026"
[offers.de]
title = "Angebot"
body = ""
""",
    )
    write(tmp_path, "c-line.toml", 'line = "Drones"\n')
    write(
        tmp_path,
        "d-dupe.toml",
        """\
line = "Cloud"

[[services]]
key = "x-latency"
industries = ["fod"]
[services.en]
title = "Onboarding"
body = "Two hours."
summary = "typo"
""",
    )
    library = load_library(tmp_path, PRODUCTS)
    found = [str(p) for p in library.problems]
    # The valid items are used; the broken ones are left out and held (not taken as deleted).
    assert sorted(library.by_key()) == ["x-latency", "x-winter"]
    assert library.held_keys == {"b-offer"} and library.held_files == {"c-line.toml"}
    assert "b-broken.toml:2: colour: unknown key" in found[0]
    assert any(
        p.startswith('b-broken.toml:6: offers[1] (key "b-offer").valid_until: not a date')
        for p in found
    )
    assert any(
        p.startswith('b-broken.toml:9: offers[1] (key "b-offer").de.body: missing text')
        for p in found
    )
    assert any(p.startswith('c-line.toml:1: line: unknown product line "Drones"') for p in found)
    assert any(
        p.startswith('d-dupe.toml:4: services[1] (key "x-latency").key: duplicate key "x-latency"')
        and "a-ok.toml:4" in p
        for p in found
    )
    assert any(
        'd-dupe.toml:5: services[1] (key "x-latency").industries: unknown industry "fod"' in p
        for p in found
    )
    assert any(
        'd-dupe.toml:9: services[1] (key "x-latency").en.summary: unknown key' in p for p in found
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('line = "X-series"\n[[arguments]\nkey = "a"\n', "f.toml:2: not valid TOML"),
        ("[[arguments]]\nkey = 'a'\n", "f.toml: line: missing"),
        (
            'line = "X-series"\n[[offers]]\nkey = "o"\n[offers.de]\ntitle = "T"\nbody = "B"\n',
            'f.toml:2: offers[1] (key "o").valid_until: missing: every offer needs an end date',
        ),
        (
            'line = "X-series"\n[[offers]]\nkey = "o"\nvalid_from = 2026-05-01\n'
            'valid_until = 2026-04-01\n[offers.de]\ntitle = "T"\nbody = "B"\n',
            'f.toml:5: offers[1] (key "o").valid_until: 2026-04-01 is before valid_from',
        ),
        (
            'line = "X-series"\n[[offers]]\nkey = "o"\nvalid_until = 2026-04-01T10:00:00\n'
            '[offers.de]\ntitle = "T"\nbody = "B"\n',
            'f.toml:4: offers[1] (key "o").valid_until: give a date without a time',
        ),
        (
            'line = "X-series"\n[[arguments]]\nkey = "a"\n',
            'f.toml:2: arguments[1] (key "a"): missing text',
        ),
        (
            'line = "X-series"\n[[arguments]]\n[arguments.en]\ntitle = "T"\nbody = "B"\n',
            "f.toml:2: arguments[1].key: missing",
        ),
        (
            'line = "X-series"\n[[arguments]]\nkey = "Big Key"\n[arguments.en]\ntitle = "T"\n'
            'body = "B"\n',
            'f.toml:3: arguments[1] (key "Big Key").key: use lowercase letters',
        ),
        (
            'line = "X-series"\n[[arguments]]\nkey = "a"\nproducts = ["C10"]\n[arguments.en]\n'
            'title = "T"\nbody = "B"\n',
            'f.toml:4: arguments[1] (key "a").products: product "C10" belongs to line "Cloud"',
        ),
        (
            'line = "X-series"\n[[arguments]]\nkey = "a"\n[arguments.fr]\ntitle = "T"\n'
            'body = "B"\n',
            'f.toml:4: arguments[1] (key "a").fr: unknown key',
        ),
        (
            'line = "X-series"\n[[arguments]]\nkey = "a"\nurl = "javascript:alert(1)"\n'
            '[arguments.en]\ntitle = "T"\nbody = "B"\n',
            'f.toml:4: arguments[1] (key "a").url: must be a web address',
        ),
    ],
)
def test_each_kind_of_mistake_is_reported_clearly(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "f.toml", text)
    found = problems(tmp_path)
    assert any(p.startswith(expected) for p in found), found


def test_missing_library_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="directory not found"):
        load_library(tmp_path / "nope", PRODUCTS)


def test_version_changes_with_the_text_but_not_with_the_file(tmp_path: Path) -> None:
    write(tmp_path, "x.toml", GOOD)
    before = load_library(tmp_path, PRODUCTS).by_key()
    (tmp_path / "x.toml").rename(tmp_path / "renamed.toml")
    moved = load_library(tmp_path, PRODUCTS).by_key()
    assert moved["x-winter"].version == before["x-winter"].version
    write(tmp_path, "renamed.toml", GOOD.replace("3 zum Preis von 2,5.", "4 zum Preis von 3."))
    edited = load_library(tmp_path, PRODUCTS).by_key()
    assert edited["x-winter"].version != before["x-winter"].version
    assert edited["x-latency"].version == before["x-latency"].version


def test_rep_gets_their_language_falling_back_to_the_other(tmp_path: Path) -> None:
    write(tmp_path, "x.toml", GOOD)
    items = load_library(tmp_path, PRODUCTS).by_key()
    assert items["x-latency"].text("en") == ("en", items["x-latency"].texts["en"])
    assert items["x-latency"].text("de")[1].title == "Schnell"
    used, text = items["x-winter"].text("en")  # German only
    assert (used, text.title) == ("de", "Winterpaket")


def test_file_level_industries_apply_to_every_item(tmp_path: Path) -> None:
    write(tmp_path, "food.toml", 'industries = ["Food"]\n' + GOOD)
    items = load_library(tmp_path, PRODUCTS).items
    assert {i.industries for i in items} == {("food",)}


def test_hidden_files_are_skipped_but_a_hidden_parent_directory_is_fine(tmp_path: Path) -> None:
    root = tmp_path / ".leadbot" / "content"
    write(root, "x.toml", GOOD)
    write(root, ".draft.toml", "this is not TOML [[")
    write(root, "food/x-food.toml", GOOD.replace('"x-', '"food-'))
    library = load_library(root, PRODUCTS)
    assert library.files == ("food/x-food.toml", "x.toml")
    assert len(library.items) == 4 and library.problems == ()


def _argument(fields: str, body: str = '"B"', key: str = '"a"') -> str:
    return f'line = "X-series"\n[[arguments]]\nkey = {key}\n{fields}[arguments.en]\ntitle = "T"\nbody = {body}\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (r'"Fast\u0000er"', "contains a control character (U+0000)"),
        (r'"\u001b[31mred"', "contains a control character (U+001B)"),
        (r'"bell\u0007"', "contains a control character (U+0007)"),
    ],
)
def test_control_characters_in_a_body_are_refused(tmp_path: Path, body: str, expected: str) -> None:
    """A NUL or an escape sequence would go out to every rep's chat: the item is held."""
    write(tmp_path, "f.toml", _argument("", body))
    library = load_library(tmp_path, PRODUCTS)
    assert library.items == () and library.held_keys == {"a"}
    found = [str(p) for p in library.problems]
    assert any(
        p.startswith(f'f.toml:6: arguments[1] (key "a").en.body: {expected}') for p in found
    ), found


def test_line_breaks_and_tabs_in_a_body_are_fine_but_not_in_a_title(tmp_path: Path) -> None:
    write(tmp_path, "f.toml", _argument("", '"""\nFirst line.\n\tIndented.\r\nLast."""'))
    (item,) = load_library(tmp_path, PRODUCTS).items
    assert item.texts["en"].body == "First line.\nIndented.\nLast."
    write(tmp_path, "f.toml", _argument("").replace('title = "T"', r'title = "T\u001bx"'))
    found = problems(tmp_path)
    assert any(
        p.startswith('f.toml:5: arguments[1] (key "a").en.title: contains a control character')
        for p in found
    ), found


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows editors save UTF-8 with a BOM; it is no "Invalid statement"."""
    (tmp_path / "x.toml").write_bytes("\ufeff".encode() + GOOD.encode())
    library = load_library(tmp_path, PRODUCTS)
    assert library.problems == () and set(library.by_key()) == {"x-latency", "x-winter"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            _argument("", key="5"),
            "f.toml:3: arguments[1].key: must be text in quotes, not a TOML integer value",
        ),
        (
            _argument("", body="5"),
            'f.toml:6: arguments[1] (key "a").en.body: must be text in quotes, not a TOML integer',
        ),
        ("line = 5\n", "f.toml:1: line: must be text in quotes, not a TOML integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_named_as_such(
    tmp_path: Path, text: str, expected: str
) -> None:
    write(tmp_path, "f.toml", text)
    found = problems(tmp_path)
    assert any(p.startswith(expected) for p in found), found
    assert not any("missing" in p for p in found), found
