"""Text from outside (API bodies, lead and directory files): printable, trimmed, not blank.

A NUL byte is refused by PostgreSQL (a 500 if it got that far), and other control
characters — escape sequences, backspaces, form feeds — have no business in a company
name: they garble chat messages, CSV exports and logs. So every text field of the lead
contract is checked here, with a message naming the character; lone UTF-16 surrogates
(``"\\ud800"`` in JSON) are refused too, since no database can store them.

Text is trimmed of white space and of the invisible characters — zero-width space and
joiners, word joiner, byte order mark, soft hyphen, direction marks, Hangul fillers — at
its ends, so a value of nothing but those (a zero-width space pasted as a company name) is
blank. Inside text they stay: joiners build emoji and some scripts need them.

The direction overrides (U+202D, U+202E) are refused inside text: they show what follows
backwards, so ``"Good\u202eliveE"`` reads "GoodEvil" in the cockpit, a chat or a
terminal. At the ends they are trimmed like the other direction marks (phones wrap a
copied number in them), and embeddings and isolates stay: right-to-left text uses them,
and they cannot turn Latin letters around. One line of text refuses the line and
paragraph separators (U+2028, U+2029) too, as it refuses line breaks.

The ``*_PATTERN`` constants say the same in the OpenAPI document (ECMA-262 syntax, which
Python's ``re`` reads too), so a client generated from it learns the rule up front.
"""

from __future__ import annotations

import re

_CONTROLS = r"\x00-\x1f\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"
_INVISIBLE_CHARS = "".join(
    chr(code)
    for first, last in (
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x061C, 0x061C),  # Arabic letter mark
        (0x115F, 0x1160),  # Hangul fillers
        (0x180E, 0x180E),  # Mongolian vowel separator
        (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; direction marks
        (0x202A, 0x202E),  # direction embeddings and overrides
        (0x2060, 0x2064),  # word joiner, invisible operators
        (0x2066, 0x2069),  # direction isolates
        (0x3164, 0x3164),  # Hangul filler
        (0xFEFF, 0xFEFF),  # byte order mark
        (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    )
    for code in range(first, last + 1)
)
_INVISIBLE = "".join(f"\\u{ord(c):04x}" for c in _INVISIBLE_CHARS)  # for patterns
_TRIMMED = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + _INVISIBLE_CHARS
"""What :func:`trim` takes off the ends: ``str.strip`` with it is linear (a regular
expression anchored at the end backtracks over a long run of blanks inside the text)."""
_OVERRIDES = r"\u202d\u202e"
_IN_LINE = _CONTROLS + r"\u2028\u2029"
"""What one line of text refuses anywhere (as pattern ranges)."""
_IN_PARAGRAPH = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""What text that may span lines refuses: line breaks and tabs are fine."""
_BAD_IN_LINE = re.compile(f"[{_IN_LINE}{_SURROGATES}]")
_BAD_IN_PARAGRAPH = re.compile(f"[{_IN_PARAGRAPH}{_SURROGATES}]")
_OVERRIDE = re.compile(f"[{_OVERRIDES}]")

# The patterns refuse the overrides at the ends too (stricter than the server, which trims
# them there): what the document calls valid, the server accepts.
LINE_PATTERN = rf"^[^{_IN_LINE}{_OVERRIDES}]*$"
NONBLANK_PATTERN = (
    rf"^[^{_IN_LINE}{_OVERRIDES}]*[^\s{_IN_LINE}{_OVERRIDES}{_INVISIBLE}]"
    rf"[^{_IN_LINE}{_OVERRIDES}]*$"
)
PARAGRAPH_PATTERN = rf"^[^{_IN_PARAGRAPH}{_OVERRIDES}]*$"

LIST_SEPARATOR = ";"
"""What separates the items of a list cell in the CSV files (products, regions, …): an id
that has to be listed there (a product's) may not contain it."""


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character that makes ``text`` refused, or None when it is fine."""
    found = (_BAD_IN_PARAGRAPH if multiline else _BAD_IN_LINE).search(text)
    if found is None:
        found = _OVERRIDE.search(trim(text))  # at the ends an override is trimmed
    return found.group() if found is not None else None


def bad_character(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is refused (the first bad character), or None when it is fine."""
    char = refused_character(text, multiline=multiline)
    if char is None:
        return None
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"contains an invalid character (a lone surrogate U+{code:04X})"
    if char in "\u202d\u202e":
        return (
            f"contains a direction override (U+{code:04X}), which would show the text "
            "after it backwards"
        )
    allowed = " (line breaks and tabs are fine)" if multiline else ""
    return f"contains a control character (U+{code:04X}); only printable text is accepted{allowed}"


def trim(text: str) -> str:
    """``text`` without white space and invisible format characters at its ends."""
    return text.strip(_TRIMMED)


def _checked(text: str, multiline: bool) -> str:
    problem = bad_character(text, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return trim(text)


def clean_line(text: str) -> str | None:
    """One line of text, trimmed; blank -> None (an optional field left empty)."""
    return _checked(text, False) or None


def required_line(text: str) -> str:
    """One line of text that must say something: trimmed, not blank."""
    cleaned = _checked(text, False)
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


def one_line(text: str) -> str:
    """Stored text shown on one line, should it hold what its field refuses now (a pause
    reason written before reasons were checked): white space, line breaks included, as
    one space; any other control character as U+FFFD."""
    return _BAD_IN_LINE.sub("\ufffd", " ".join(text.split()))


def clean_paragraph(text: str) -> str | None:
    """Free text that may span lines (a message, a consent text); blank -> None."""
    return _checked(text, True) or None


_SHOWN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_control(value: str) -> str:
    """``value`` without control characters (ANSI escapes, bidi overrides), for showing it.

    The output side of the rules above, for every renderer (chats, the terminal, the web
    cockpit and its CSV): text stored before those rules got stricter can still hold an
    escape sequence or a direction override (``"Good\u202eliveE"`` would read "GoodEvil").
    Line breaks and tabs stay. Embeddings and isolates go too, although input keeps them:
    a value cut out of its sentence cannot leave one open for the text after it; the
    letters of right-to-left text stay, only their explicit direction hints are lost.
    """
    return _SHOWN_CONTROL.sub("", value)


QUOTED_WHOLE = 64
"""Values up to this long are quoted whole by :func:`quoted` — every id of the contract
(partner, product, tier: at most 64 characters) is; longer ones are cut."""
QUOTED_CUT = 60


def quoted(value: object, *, counted: bool = True) -> str:
    """``value`` as an error message quotes it back to whoever sent it: ``repr`` (so control
    characters and quotes are escaped), and a string longer than :data:`QUOTED_WHOLE`
    cut to its first :data:`QUOTED_CUT` characters with its length —
    ``'PPPPPPPP'… (500 characters)``. A 500-character value printed back whole buries
    the message in a terminal line, a 422 body or a chat reply, and tells its sender
    nothing they do not have; the start and the length say which value it was.

    Every error that quotes a value from outside (the API, lead and directory files, the
    configuration, the CLI) does it with this. ``counted=False`` leaves out the length,
    which is English: for a text in the reader's language (a chat reply, a cockpit page).
    """
    if not isinstance(value, str):
        return repr(value)
    head, tail = cut(value, counted=counted)
    return repr(head) + tail


def shortened(value: str) -> str:
    """``value`` for a sentence in the reader's language that names it ("Einen Partner P9
    gibt es nicht."): as it is up to :data:`QUOTED_WHOLE` characters, else its first
    :data:`QUOTED_CUT` and "…" (no length: the words for it would be English). The chat's
    renderer escapes it for its format."""
    head, tail = cut(value, counted=False)
    return head + tail


def cut(value: str, *, counted: bool = True) -> tuple[str, str]:
    """``value`` as its shown part and what follows it: the whole value and ``""`` up to
    :data:`QUOTED_WHOLE` characters, else its first :data:`QUOTED_CUT` and ``"…"`` — with
    `` (500 characters)`` when ``counted``. The one rule behind :func:`quoted`,
    :func:`shortened` and the JSON reader's duplicate-key message, each quoting the shown
    part in its own way."""
    if len(value) <= QUOTED_WHOLE:
        return value, ""
    return value[:QUOTED_CUT], "…" + (f" ({len(value)} characters)" if counted else "")
