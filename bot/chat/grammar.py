"""The one text grammar of leadbot's commands: ``won 12 61.000``, ``explain 4 P-DE-001``.

The console reads it line by line, Slack's ``/leads <text>`` and Telegram's ``/<verb> <args>``
use it too, so every chat understands the same words. :func:`parse` turns text into a
typed command (:mod:`bot.chat.commands`) or raises :class:`UsageError`, which carries an
i18n key and its parameters: each platform tells the person what is wrong, in their
language, with the usage of the verb they tried. Pure: no I/O.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import date

from bot.chat import choices
from bot.chat import commands as c
from bot.chat.verbs import DIGITS_PATTERN, ID_PATTERN, UsageError, Verb, Words
from bot.errors import InvalidInput
from bot.leads.amounts import parse_revenue
from bot.leads.status_reports import REASON_GROUPS, Report, StatusAction, parse_day
from bot.plaintext import bad_character

CONSENT_WORDS = frozenset({"consent", "einwilligung"})
"""What staff type after ``release <lead>`` to confirm consent."""


def _simple(command: c.Command) -> Callable[[Words], c.Command]:
    def build(words: Words) -> c.Command:
        words.done()
        return command

    return build


def _lead(kind: Callable[[int], c.Command]) -> Callable[[Words], c.Command]:
    def build(words: Words) -> c.Command:
        lead_id = words.number("lead")
        words.done()
        return kind(lead_id)

    return build


def _claim(words: Words) -> c.Command:
    offer_id = words.number("offer")
    words.done()
    return c.Claim(offer_id)


def _decline(words: Words) -> c.Command:
    offer_id = words.number("offer")
    reason = words.choice("decline_reason")
    return c.Decline(offer_id, reason, words.remainder())


def _progress(action: StatusAction) -> Callable[[Words], c.Command]:
    def build(words: Words) -> c.Command:
        lead_id = words.number("lead")
        if action is StatusAction.WON:
            typed = words.remainder()
            if typed is None:
                raise words.fail("usage.missing")
            try:
                revenue = parse_revenue(typed)
            except InvalidInput as error:
                large = error.key == "reply.revenue_too_large"
                raise words.fail(
                    "usage.revenue_too_large" if large else "usage.revenue", value=typed
                ) from None
            return c.Progress(lead_id, Report(action, revenue_eur=revenue))
        if action in REASON_GROUPS:
            reason = words.choice(REASON_GROUPS[action])
            return c.Progress(lead_id, Report(action, reason=reason, note=words.remainder()))
        if action is StatusAction.FOLLOW_UP:
            typed = words.remainder()
            if typed is None:
                raise words.fail("usage.missing")
            try:
                day = parse_day(typed, words.today)
            except InvalidInput:
                raise words.fail("usage.date", value=typed) from None
            return c.Progress(lead_id, Report(action, follow_up_on=day))
        return c.Progress(lead_id, Report(action, note=words.remainder()))

    return build


def _release(words: Words) -> c.Command:
    lead_id = words.number("lead")
    word = words.optional()
    if word is not None and word.lower() not in CONSENT_WORDS:
        raise words.fail("usage.extra", value=word)
    words.done()
    return c.Release(lead_id, consent=word is not None)


UNTIL_WORDS = frozenset({"until", "bis"})


_PLAIN_DATE = re.compile(r"\d{1,4}[.\-/]\d{1,2}([.\-/]\d{0,4})?|\+\d{1,4}[dwtDWT]")
"""A date typed without ``until``/``bis`` (``24.12.``, ``2026-12-24``, ``+14d``): read as
the last day too — ``away 24.12.`` made "24.12." the reason of a pause without end. Only
such plain dates: a word (``morgen``) may as well start a reason."""


def _until(words: Words) -> date | None:
    """``until <date>`` / ``bis <date>`` (optional): the last day of a pause."""
    upcoming = words.rest[words.used] if words.used < len(words.rest) else ""
    if upcoming.lower() in UNTIL_WORDS or _PLAIN_DATE.fullmatch(upcoming):
        if upcoming.lower() in UNTIL_WORDS:
            words.take()
        typed = words.take()
        try:
            return parse_day(typed, words.today)
        except InvalidInput:
            raise words.fail("usage.date", value=typed) from None
    return None


def _pause(words: Words) -> c.Command:
    partner = words.take()
    until = _until(words)
    return c.Pause(partner, until, words.remainder())


def _away(words: Words) -> c.Command:
    until = _until(words)
    return c.Away(until, words.remainder())


def _partner_only(kind: Callable[[str], c.Command]) -> Callable[[Words], c.Command]:
    def build(words: Words) -> c.Command:
        partner = words.take()
        words.done()
        return kind(partner)

    return build


def _assign(words: Words) -> c.Command:
    lead_id = words.number("lead")
    partner = words.take()
    words.done()
    return c.Assign(lead_id, partner)


def _explain(words: Words) -> c.Command:
    lead_id = words.number("lead")
    partner = words.optional()
    words.done()
    return c.Explain(lead_id, partner)


_REASON_ARGS = {action: choices.usage(group) for action, group in REASON_GROUPS.items()}

VERBS: tuple[Verb, ...] = (
    Verb("help", c.Help, "", _simple(c.Help()), ("?", "hilfe")),
    Verb("whoami", c.WhoAmI, "", _simple(c.WhoAmI())),
    Verb("teasers", c.Teasers, "", _simple(c.Teasers())),
    Verb("claim", c.Claim, "<offer>", _claim),
    Verb(
        "decline",
        c.Decline,
        f"<offer> <{choices.usage('decline_reason')}> [note]",
        _decline,
        ("ablehnen",),
    ),
    Verb("leads", c.ListLeads, "", _simple(c.ListLeads())),
    Verb("lead", c.ShowLead, "<lead>", _lead(c.ShowLead), ("show",)),
    Verb("contacted", c.Progress, "<lead> [note]", _progress(StatusAction.CONTACTED)),
    Verb("meeting", c.Progress, "<lead> [note]", _progress(StatusAction.MEETING)),
    Verb("proposal", c.Progress, "<lead> [note]", _progress(StatusAction.PROPOSAL)),
    Verb("won", c.Progress, "<lead> <revenue €>", _progress(StatusAction.WON)),
    Verb(
        "lost",
        c.Progress,
        f"<lead> <{_REASON_ARGS[StatusAction.LOST]}> [note]",
        _progress(StatusAction.LOST),
    ),
    Verb(
        "followup",
        c.Progress,
        "<lead> <YYYY-MM-DD | DD.MM.YYYY | +3d | +1w | tomorrow>",
        _progress(StatusAction.FOLLOW_UP),
        ("follow-up", "follow_up"),
    ),
    Verb(
        "handback",
        c.Progress,
        f"<lead> <{_REASON_ARGS[StatusAction.HAND_BACK]}> [note]",
        _progress(StatusAction.HAND_BACK),
        ("hand-back", "hand_back"),
    ),
    Verb("takeover", c.TakeOver, "<lead>", _lead(c.TakeOver), ("übernehmen", "take-over")),
    Verb("release", c.Release, "<lead> [consent]", _release),
    Verb("reoffer", c.Reoffer, "<lead>", _lead(c.Reoffer)),
    Verb("recall", c.Recall, "<lead>", _lead(c.Recall)),
    Verb("erase", c.Erase, "<lead>", _lead(c.Erase)),
    Verb("assign", c.Assign, "<lead> <partner>", _assign, ("zuweisen",)),
    Verb("pause", c.Pause, "<partner> [until <date>] [reason]", _pause),
    Verb("resume", c.Resume, "<partner>", _partner_only(c.Resume)),
    Verb("away", c.Away, "[until <date>] [reason]", _away, ("abwesend",)),
    Verb("back", c.Back, "", _simple(c.Back()), ("zurück",)),
    Verb("explain", c.Explain, "<lead> [partner]", _explain),
    Verb("report", c.Pipeline, "", _simple(c.Pipeline()), ("pipeline",)),
    Verb("cockpit", c.CockpitLink, "", _simple(c.CockpitLink())),
)
_BY_WORD = {word: verb for verb in VERBS for word in (verb.name, *verb.aliases)}
ACTION_VERBS: dict[StatusAction, Verb] = {
    StatusAction.CONTACTED: _BY_WORD["contacted"],
    StatusAction.MEETING: _BY_WORD["meeting"],
    StatusAction.PROPOSAL: _BY_WORD["proposal"],
    StatusAction.WON: _BY_WORD["won"],
    StatusAction.LOST: _BY_WORD["lost"],
    StatusAction.FOLLOW_UP: _BY_WORD["followup"],
    StatusAction.HAND_BACK: _BY_WORD["handback"],
}
"""The verb that reports each status action (lead cards show it as a hint)."""


def verb(word: str) -> Verb | None:
    return _BY_WORD.get(word.lower())


def split(text: str) -> list[str]:
    """Words as a shell would split them (quotes group), or plainly if quotes are unbalanced
    (an apostrophe in a note: ``lost 4 other they've moved``)."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""What Python's ``surrogateescape`` makes of a byte that is not UTF-8 (standard input)."""


def check_text(text: str) -> None:
    """Refuse (:class:`UsageError`) text no command can take, before any word is read.

    Text with a control character (other than a line break or tab) is refused whole: no
    command has a use for one, and a NUL in a partner id or a note reached PostgreSQL,
    which refuses it — the console's session ended there. Bytes that are not UTF-8 (a
    terminal or file in another encoding, read by the console) are said as such. The
    console's own verbs (``as``, ``wait``) are checked with this too."""
    if _UNDECODABLE.search(text):
        raise UsageError("usage.not_utf8")
    if bad_character(text, multiline=True) is not None:
        raise UsageError("usage.control_character")


def parse(text: str, today: date) -> c.Command:
    """The command in ``text``. A bare number shows that lead. Raises :class:`UsageError`
    (:func:`check_text` first)."""
    check_text(text)
    words = split(text.strip())
    if not words:
        raise UsageError("usage.empty")
    if len(words) == 1 and ID_PATTERN.fullmatch(words[0]):
        return c.ShowLead(int(words[0].lstrip("#")))
    if len(words) == 1 and (digits := DIGITS_PATTERN.fullmatch(words[0])) is not None:
        raise UsageError("usage.lead_too_large", value=digits.group(1))
    found = verb(words[0])
    if found is None:
        raise UsageError("usage.unknown", word=words[0])
    return found.build(Words(found, words[1:], today))
