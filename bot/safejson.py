"""JSON from outside, parsed so that no input can crash the caller.

``json.loads`` alone lets through what breaks later: 1,000 nested brackets raise
``RecursionError`` (not a ``ValueError``), a 5,000-digit number raises a ``ValueError``
that is not a ``JSONDecodeError``, ``NaN``/``Infinity`` are accepted although JSON has
no such values, ``"\\ud800"`` becomes a lone surrogate that no database and no UTF-8
encoder accepts, and a key given twice in one object silently keeps its last value (two
``partner_contact`` answers in one consent: the sender meant one of them, we cannot know
which), and bytes in UTF-16 or UTF-32 are decoded as if that were fine although RFC 8259
says JSON exchanged between systems MUST be UTF-8 (a sender that gets away with it here
fails elsewhere). :func:`loads` turns each of these into one :class:`JsonProblem` with a
message a sender can act on; every caller (the lead API, the Slack and Telegram
webhooks, ``leadbot leads import``) refuses the input with it and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from bot.plaintext import cut

MAX_DEPTH = 32  # a lead is 4 levels deep, a Slack payload or a Telegram update ~10


class JsonProblem(ValueError):
    """Why a text is not acceptable JSON; ``line``/``column`` when the parser knows them."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _no_constant(name: str) -> Any:
    raise JsonProblem(f"{name} is not a JSON value (use a number or null)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        # ASCII-escaped and cut short (saying so): the key is the sender's text, shown back.
        head, tail = cut(twice)
        shown = json.dumps(head) + tail
        raise JsonProblem(f"the key {shown} appears twice in one object")
    return found


# json.detect_encoding's names, as a sender would call them.
_NOT_UTF8 = {
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 (big-endian)",
    "utf-32": "UTF-32",
    "utf-32-le": "UTF-32 (little-endian)",
    "utf-32-be": "UTF-32 (big-endian)",
}


def require_utf8(data: bytes) -> None:
    """Refuse bytes that are UTF-16 or UTF-32 (with or without a byte order mark).

    ``json.loads`` on bytes would decode them silently; RFC 8259 §8.1 says JSON exchanged
    between systems MUST be UTF-8. A UTF-8 byte order mark is ignored, as the RFC allows a
    parser to. Bytes that are neither are left to the UTF-8 decoder ("not UTF-8 text").
    """
    encoding = _NOT_UTF8.get(json.detect_encoding(data))
    if encoding is not None:
        raise JsonProblem(
            f"the body is encoded as {encoding}; JSON must be sent as UTF-8 (RFC 8259)"
        )


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text``; raises :class:`JsonProblem` for anything but plain, sane JSON."""
    if isinstance(text, bytes):
        require_utf8(text)
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except JsonProblem:
        raise
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except UnicodeDecodeError:
        raise JsonProblem("not UTF-8 text") from None
    except RecursionError:
        raise JsonProblem(f"nested too deeply (at most {max_depth} levels)") from None
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise JsonProblem("not valid JSON: a number with too many digits") from None
    check(value, max_depth=max_depth)
    return value


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse structures deeper than ``max_depth`` and strings with lone surrogates.

    Iterative, so a deep structure cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise JsonProblem(f"nested too deeply (at most {max_depth} levels)")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, item in items:
                if isinstance(key, str):
                    _text(key)
                stack.append((item, depth + 1))
        elif isinstance(node, str):
            _text(node)


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonProblem(
            "contains an invalid character (a lone surrogate such as \\ud800)"
        ) from None
