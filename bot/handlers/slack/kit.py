"""Block Kit primitives with Slack's limits built in, and escaping of everything shown.

Every string that reaches Slack as mrkdwn goes through :func:`esc` (``&``, ``<``, ``>``
are Slack's control characters: ``<!channel>``, ``<https://x|y>``, ``<@U1>``), so text
from a lead or a user can never mention, link or ping anyone. Limits are Slack's
documented ones; :func:`clip` cuts text to fit without breaking an escape sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.handlers.slack.platform import escape_slack

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message (App Home: 100)
MAX_ANSWERS = 5  # messages one response_url takes (Slack: "up to 5 times within 30 minutes")
MAX_ANSWER_BLOCKS = MAX_ANSWERS * MAX_BLOCKS  # an answer over several messages (split_messages)
MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000  # section text
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10
MAX_BUTTON = 75  # button label
MAX_OPTION_VALUE = 75  # an option's value (overflow, selects)
MAX_OVERFLOW = 5  # options in an overflow menu (and at least 2)
MAX_TITLE = 24  # modal title
MAX_FALLBACK = 3000  # the notification text we send alongside blocks
MAX_CONTEXT = 2000


@dataclass(frozen=True)
class Message:
    """One Slack message: the notification ``text`` and its ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def esc(value: object) -> str:
    """Any value as mrkdwn-safe text."""
    return escape_slack("" if value is None else str(value))


def _prefix(text: str, limit: int) -> str:
    """The longest start of escaped ``text`` within ``limit`` that ends outside an entity."""
    cut = text[: max(0, limit)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def clip(text: str, limit: int) -> str:
    """Cut already escaped text to ``limit`` characters, never inside ``&amp;`` etc."""
    if len(text) <= limit:
        return text
    return _prefix(text, limit - 1) + "…"


def plain(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    """A ``plain_text`` object (Slack shows it literally; no escaping needed)."""
    return {"type": "plain_text", "text": (text[: limit - 1] + "…") if len(text) > limit else text}


def mrkdwn(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def section(text: str, *, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    """A section of up to ten ``*label*\\nvalue`` fields (label and value already escaped)."""
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{label}*\n{value}", MAX_FIELD) for label, value in pairs[:MAX_FIELDS]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, MAX_CONTEXT)]}


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def button(
    label: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(label, MAX_BUTTON),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def overflow(action_id: str, options: list[tuple[str, str]]) -> Block:
    """An overflow menu ("⋯"): rare actions next to a row of buttons, as ``(label, value)``.

    Slack takes 2 to 5 options; values of at most 75 characters are the caller's to keep.
    """
    if not 2 <= len(options) <= MAX_OVERFLOW:
        raise ValueError(f"an overflow menu takes 2 to {MAX_OVERFLOW} options, not {len(options)}")
    for _, value in options:
        if not value or len(value) > MAX_OPTION_VALUE:
            raise ValueError(f"overflow option value {value!r} is empty or too long")
    return {
        "type": "overflow",
        "action_id": action_id,
        "options": [{"text": plain(text, MAX_BUTTON), "value": value} for text, value in options],
    }


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split escaped text into pieces of at most ``limit``, at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            head = _prefix(line, limit) or line[:limit]
            pieces.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [" "]


def quoted(title: str, text: str, limit: int = MAX_SECTION) -> list[str]:
    """A ``title`` line over escaped text as a Slack block quote (``>`` before every line),
    in pieces of at most ``limit`` for one section each: a line longer than a section goes
    on, quoted, in the next one, so nothing of a long text is cut off."""
    lines = [title]
    for line in text.splitlines() or [""]:
        while len(line) > limit - 1:
            head = _prefix(line, limit - 1) or line[: limit - 1]
            lines.append(f">{head}")
            line = line[len(head) :]
        lines.append(f">{line}")
    return chunks("\n".join(lines), limit)


def split_messages(text: str, blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Message]:
    """One message per ``limit`` blocks; later parts say they continue the first."""
    if len(blocks) <= limit:
        return [Message(clip(text, MAX_FALLBACK), blocks)]
    parts = [blocks[i : i + limit] for i in range(0, len(blocks), limit)]
    total = len(parts)
    return [
        Message(clip(f"{text} ({n}/{total})", MAX_FALLBACK), part)
        for n, part in enumerate(parts, start=1)
    ]
