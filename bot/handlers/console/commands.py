"""Parsing console input into commands. Pure; errors name what is wrong and show usage."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from bot.chat.interactions import confirms_consent
from bot.errors import InvalidInput
from bot.leads import progress
from bot.leads.progress import HAND_BACK_REASONS, LOST_REASONS, parse_revenue

USAGE: dict[str, str] = {
    "help": "help",
    "as": "as staff | as <rep e-mail>",
    "whoami": "whoami",
    "teasers": "teasers",
    "claim": "claim <offer>",
    "leads": "leads",
    "lead": "lead <lead>",
    "contacted": "contacted <lead> [note]",
    "meeting": "meeting <lead> [note]",
    "proposal": "proposal <lead> [note]",
    "won": "won <lead> <revenue in €>",
    "lost": f"lost <lead> <{'|'.join(LOST_REASONS)}> [note]",
    "followup": "followup <lead> <YYYY-MM-DD | DD.MM.YYYY | +3d | +1w | tomorrow>",
    "handback": f"handback <lead> <{'|'.join(HAND_BACK_REASONS)}> [note]",
    "release": "release <lead> [consent]",
    "reoffer": "reoffer <lead>",
    "recall": "recall <lead>",
    "erase": "erase <lead>",
    "explain": "explain <lead> [partner]",
    "report": "report",
    "outbox": "outbox",
    "wait": "wait <30m | 2h | 1d>",
    "quit": "quit",
}
ALIASES = {"exit": "quit", "follow-up": "followup", "hand-back": "handback", "?": "help"}
STAFF_ONLY = {"release", "reoffer", "recall", "erase", "explain", "report", "outbox"}


class UsageError(Exception):
    """The line could not be understood; the message says why and how to write it."""


@dataclass(frozen=True)
class Command:
    name: str
    args: list[str] = field(default_factory=list)
    lead_id: int | None = None
    number: int | None = None
    revenue: Decimal | None = None
    reason: str | None = None
    note: str | None = None
    day: date | None = None
    duration: timedelta | None = None
    flag: bool = False


def _int(name: str, value: str, what: str) -> int:
    if not re.fullmatch(r"#?\d{1,12}", value):
        raise UsageError(f"{name}: {what} must be a number, not {value!r}. Usage: {USAGE[name]}")
    return int(value.lstrip("#"))


def parse_day(text: str, today: date) -> date:
    try:
        return progress.parse_day(text, today)
    except InvalidInput as exc:
        raise UsageError(str(exc)) from None


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d{1,5})\s*(m|min|h|d)", text.strip().lower())
    if not match:
        raise UsageError(f"wait: not a duration: {text!r}. Usage: {USAGE['wait']}")
    n, unit = int(match.group(1)), match.group(2)
    return (
        timedelta(minutes=n)
        if unit in ("m", "min")
        else timedelta(hours=n)
        if unit == "h"
        else timedelta(days=n)
    )


def parse(line: str, today: date) -> Command | None:
    """Parse one input line; None for an empty line or a comment."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        words = shlex.split(stripped)
    except ValueError as exc:
        raise UsageError(f"cannot read that line: {exc}") from None
    name = ALIASES.get(words[0].lower(), words[0].lower())
    args = words[1:]
    if name not in USAGE:
        raise UsageError(f"unknown command {words[0]!r}; type 'help' for the list")

    def need(count: int) -> None:
        if len(args) < count:
            raise UsageError(f"{name}: missing argument. Usage: {USAGE[name]}")

    if name in ("help", "whoami", "teasers", "leads", "report", "outbox", "quit"):
        return Command(name, args)
    if name == "as":
        need(1)
        return Command(name, args)
    if name == "claim":
        need(1)
        return Command(name, args, number=_int(name, args[0], "the offer"))
    if name == "wait":
        need(1)
        return Command(name, args, duration=parse_duration("".join(args)))
    need(1)
    lead_id = _int(name, args[0], "the lead")
    rest = args[1:]
    if name in ("lead", "reoffer", "recall", "erase"):
        return Command(name, args, lead_id=lead_id)
    if name == "release":
        return Command(
            name,
            args,
            lead_id=lead_id,
            flag=confirms_consent(rest),
        )
    if name == "explain":
        return Command(name, args, lead_id=lead_id, reason=rest[0] if rest else None)
    if name in ("contacted", "meeting", "proposal"):
        return Command(name, args, lead_id=lead_id, note=" ".join(rest) or None)
    if name == "won":
        need(2)
        try:
            revenue = parse_revenue(" ".join(rest))
        except InvalidInput as exc:
            raise UsageError(f"won: {exc}. Usage: {USAGE['won']}") from None
        return Command(name, args, lead_id=lead_id, revenue=revenue)
    if name in ("lost", "handback"):
        need(2)
        allowed = LOST_REASONS if name == "lost" else HAND_BACK_REASONS
        reason = rest[0].lower()
        if reason not in allowed:
            raise UsageError(f"{name}: unknown reason {rest[0]!r}; one of {', '.join(allowed)}")
        return Command(name, args, lead_id=lead_id, reason=reason, note=" ".join(rest[1:]) or None)
    if name == "followup":
        need(2)
        return Command(name, args, lead_id=lead_id, day=parse_day(" ".join(rest), today))
    raise UsageError(f"unknown command {words[0]!r}")  # pragma: no cover - USAGE covers all
