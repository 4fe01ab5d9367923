"""The one command grammar every chat understands (console lines, ``/leads <text>`` on
Slack, ``/<verb> <args>`` on Telegram): what people type and what it means."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.chat import commands as c
from bot.chat.grammar import ACTION_VERBS, VERBS, UsageError, parse
from bot.chat.identity import Identity
from bot.chat.permissions import RULES, refusal, verbs_for
from bot.handlers.text import reply_text
from bot.leads.status_reports import Report, StatusAction
from bot.models import Platform

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("leads", c.ListLeads()),
        ("help", c.Help()),
        ("Hilfe", c.Help()),
        ("12", c.ShowLead(12)),
        ("#12", c.ShowLead(12)),
        ("show 12", c.ShowLead(12)),
        ("lead 12", c.ShowLead(12)),
        ("claim 7", c.Claim(7)),
        ("explain 12", c.Explain(12)),
        ("explain 12 P-7", c.Explain(12, "P-7")),
        ("release 12", c.Release(12)),
        ("release 12 consent", c.Release(12, consent=True)),
        ("Release 12 Einwilligung", c.Release(12, consent=True)),
        ("reoffer 12", c.Reoffer(12)),
        ("recall 12", c.Recall(12)),
        ("erase 12", c.Erase(12)),
        ("report", c.Pipeline()),
        (
            "contacted 4 called the CEO",
            c.Progress(4, Report(StatusAction.CONTACTED, note="called the CEO")),
        ),
        ("won 12 61.000", c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("61000")))),
        (
            "won 12 12.500,50 €",
            c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("12500.50"))),
        ),
        (  # English notation: the last mark is the decimal one, whatever the language
            "won 12 12,500.00",
            c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("12500.00"))),
        ),
        (
            "won 12 1.000.000",
            c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("1000000"))),
        ),
        (
            "won 12 1,000,000.50",
            c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("1000000.50"))),
        ),
        ("won 12 12,5", c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("12.50")))),
        (
            "won 12 € 1 000,50",
            c.Progress(12, Report(StatusAction.WON, revenue_eur=Decimal("1000.50"))),
        ),
        (  # a reason as the German word, or the code spelt loosely
            "lost 3 Kein-Budget",
            c.Progress(3, Report(StatusAction.LOST, reason="no_budget")),
        ),
        ("lost 3 no-need", c.Progress(3, Report(StatusAction.LOST, reason="no_need"))),
        (
            "handback 3 keine_kapazitaet",
            c.Progress(3, Report(StatusAction.HAND_BACK, reason="no_capacity")),
        ),
        ("decline 7 zu-weit-entfernt", c.Decline(7, "too_far", None)),
        # A pause's last day typed without "bis": it was taken for the reason, and the
        # partner was away until /back.
        ("away 24.12. Urlaub", c.Away(date(2026, 12, 24), "Urlaub")),
        ("away bis 24.12. Urlaub", c.Away(date(2026, 12, 24), "Urlaub")),
        ("away Urlaub bis Ostern", c.Away(None, "Urlaub bis Ostern")),
        ("away morgen frei", c.Away(None, "morgen frei")),  # a word may start a reason
        ("pause P-7 +14d Messe", c.Pause("P-7", TODAY + timedelta(days=14), "Messe")),
        (
            "lost 3 price too expensive",
            c.Progress(3, Report(StatusAction.LOST, reason="price", note="too expensive")),
        ),
        (
            "lost 4 other they've moved",
            c.Progress(4, Report(StatusAction.LOST, reason="other", note="they've moved")),
        ),
        (
            "follow-up 4 +3d",
            c.Progress(4, Report(StatusAction.FOLLOW_UP, follow_up_on=date(2026, 3, 5))),
        ),
        (
            "handback 4 no_capacity",
            c.Progress(4, Report(StatusAction.HAND_BACK, reason="no_capacity")),
        ),
    ],
)
def test_what_people_type_and_what_it_means(text: str, expected: c.Command) -> None:
    assert parse(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("erase", "erase: Missing argument. Usage: erase <lead>"),
        ("erase twelve", "erase: The lead must be a number, not 'twelve'. Usage: erase <lead>"),
        ("erase 12 now", "erase: I did not expect 'now'. Usage: erase <lead>"),
        (
            "release 12 please",
            "release: I did not expect 'please'. Usage: release <lead> [consent]",
        ),
        ("delete 12", "Unknown command 'delete'; type 'help' for the list."),
        ("12 13", "Unknown command '12'; type 'help' for the list."),
        (
            "won 3 lots",
            "won: Revenue: 'lots' is not an amount in euros. Usage: won <lead> <revenue €>",
        ),
        (  # grouped wrongly, or cents to a tenth: refused, never guessed at
            "won 3 12.50.000",
            "won: Revenue: '12.50.000' is not an amount in euros. Usage: won <lead> <revenue €>",
        ),
        (
            "won 3 12500.505",
            "won: Revenue: '12500.505' is not an amount in euros. Usage: won <lead> <revenue €>",
        ),
        (  # a space groups thousands too, never glues digits together
            "won 3 12 50",
            "won: Revenue: '12 50' is not an amount in euros. Usage: won <lead> <revenue €>",
        ),
        (  # the euro sign only before or after the amount
            "won 3 12€50",
            "won: Revenue: '12€50' is not an amount in euros. Usage: won <lead> <revenue €>",
        ),
        (
            "won 3 " + "9" * 30,
            f"won: Revenue: '{'9' * 30}' is too large; it must stay below 1,000,000,000,000 euros.",
        ),
        (
            "won 3 1.000.000.000.000",
            "won: Revenue: '1.000.000.000.000' is too large; it must stay below "
            "1,000,000,000,000 euros.",
        ),
        (
            "lost 3 because",
            "lost: Unknown reason 'because'; one of price, competitor, no_budget, no_need, timing, unreachable, other.",
        ),
        (
            "followup 3 31.02.2026",
            "followup: Not a date: '31.02.2026' (use 2026-03-15, 15.03.2026, +3d or tomorrow).",
        ),
    ],
)
def test_what_it_does_not_understand_is_explained_in_the_askers_language(
    text: str, english: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, TODAY)
    error = caught.value
    assert reply_text("en", error.key, error.params) == english
    german = reply_text("de", error.key, error.params)
    assert german != english and "{" not in german
    # A sentence, after the verb it is about: capitalised, and one phrase for the usage.
    sentence = german.removeprefix(f"{text.split()[0]}: ")
    assert sentence[0].isupper() or sentence.startswith("'"), german  # or the quoted word
    assert "So geht" not in german and "Usage" not in german
    assert ("Aufruf: " in german) == ("Usage: " in english)


SAMPLES = {
    "de": {"Lead-Nr.": "12", "Angebots-Nr.": "7", "Partner-ID": "P1", "Umsatz €": "12.500",
           "Notiz": "ok", "Grund": "Messe", "Datum": "morgen"},
    "en": {"lead": "12", "offer": "7", "partner": "P1", "revenue €": "12,500",
           "note": "ok", "reason": "trade fair", "date": "tomorrow"},
}  # fmt: skip
VERBS_BY_NAME = {verb.name: verb for verb in VERBS}
_SLOT = re.compile(r"[<\[]([^<>\[\]]+)[>\]]")


def _typed(usage: str, language: str) -> str:
    """What a person types after reading ``usage``: each placeholder filled in, a choice's
    last option taken (a reason code, ``morgen``), an optional part typed as it stands."""

    def fill(found: re.Match[str]) -> str:
        inner = found.group(1)
        return SAMPLES[language].get(inner) or inner.split("|")[-1].strip()

    while (filled := _SLOT.sub(fill, usage)) != usage:
        usage = filled
    return usage


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_usage_is_said_in_the_reader_s_language_and_typed_as_it_says(language: str) -> None:
    """German help and errors said ``won <lead> <revenue €>``: what to fill in is said in the
    reader's language now (``<Lead-Nr.>``), and what to type as it stands (the verb, ``bis``,
    ``einwilligung``, ``morgen``, a reason code) is what the parser takes."""
    english = ("<lead>", "<offer>", "<partner>", "[partner]", "<revenue €>", "[note]",
               "[reason]", "<date>", "[consent]", "[until", "tomorrow>")  # fmt: skip
    for verb in VERBS:
        usage = verb.usage_in(language)
        assert usage.split()[0] == verb.name  # the command word is typed as the parser wants
        if language == "de":
            assert not [word for word in english if word in usage], usage
        command = parse(_typed(usage, language), TODAY)
        assert isinstance(command, verb.kind), (usage, command)
    assert VERBS_BY_NAME["won"].usage_in("de") == "won <Lead-Nr.> <Umsatz €>"
    paused = parse(_typed(VERBS_BY_NAME["pause"].usage_in(language), language), TODAY)
    reason = SAMPLES[language]["Grund" if language == "de" else "reason"]
    assert paused == c.Pause("P1", TODAY + timedelta(days=1), reason)
    released = parse(_typed(VERBS_BY_NAME["release"].usage_in(language), language), TODAY)
    assert released == c.Release(12, consent=True)


def test_every_verb_has_words_and_a_rule() -> None:
    for verb in VERBS:
        assert verb.kind in RULES
        for language in ("de", "en"):
            assert reply_text(language, f"verb.{verb.name}", {}) != f"verb.{verb.name}"
    assert set(ACTION_VERBS) == set(StatusAction)


def test_who_may_do_what_is_decided_once() -> None:
    rep = Identity(Platform.CONSOLE, "anna@p.example", rep_id=1, partner_id="P1")
    staff = Identity(Platform.CONSOLE, "staff", is_staff=True)
    stranger = Identity(Platform.CONSOLE, "nobody")
    assert refusal(rep, c.Recall(1)).key == "reply.staff_only"  # type: ignore[union-attr]
    assert refusal(staff, c.Recall(1)) is None
    assert refusal(staff, c.Claim(1)).key == "claim.unknown_user"  # type: ignore[union-attr]
    assert refusal(stranger, c.ListLeads()).key == "reply.unknown_user"  # type: ignore[union-attr]
    assert refusal(stranger, c.Help()) is None
    assert "explain" in verbs_for(staff) and "explain" not in verbs_for(rep)
    assert "claim" in verbs_for(rep) and "claim" not in verbs_for(staff)
