"""The console chat as a user drives it: `leadbot console` reading a script from stdin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import leadbot_process, load_demo

ANNA = "maximilian.huber@alpen-it.example"  # P-DE-001, wave 1 for lead 1 (München area)


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Path:
    """The sample directory and leads, loaded as `make run` does."""
    return load_demo(database_url, tmp_path)


def console(config: Path, script: str) -> str:
    proc = leadbot_process("console", config=config, stdin=script)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_waves_widen_with_time_and_staff_can_explain(demo: Path) -> None:
    out = console(demo, "explain 1\nwait 61m\nexplain 1\nquit\n")
    first, second = out.split("… Zeit vergeht: Es ist jetzt")
    # explain speaks the staff language ([staff] language = "de" in bot.toml)
    assert "Geeignet, die besten zuerst" in first and "Runde 1 Welle 1" in first
    assert "Runde 1 Welle 2" in second
    assert "Welle 2/3" in second  # the staff feed announces the wider wave


def test_explain_speaks_the_staff_language_set_in_the_environment(demo: Path) -> None:
    """``LEADBOT_STAFF__LANGUAGE=en``: the console's staff read ``explain`` in English, as
    everything else the console says to them (it was German: the console's own staff
    identity did not take ``[staff] language``)."""
    proc = leadbot_process(
        "console",
        config=demo,
        stdin="explain 7\nexplain 7 P-CH-001\nquit\n",
        env={"LEADBOT_STAFF__LANGUAGE": "en"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Lead 7: status offered, round 1 wave 1" in out, out
    assert "Eligible, best first (1)" in out and "Not eligible (19)" in out
    assert "Partner P-CH-001 (Helvetia Integration AG, " in out and "for lead 7: ELIGIBLE" in out
    for german in ("Status ausgeschrieben", "Geeignet", "Runde", "Mitarbeit", "Filter\n  ✓ Einw"):
        assert german not in out, german


def test_hand_back_goes_to_the_next_partner_and_excludes_the_first(demo: Path) -> None:
    out = console(
        demo,
        f"as {ANNA}\nclaim 1\nhandback 1 no_capacity too busy this month\n"
        "as staff\nexplain 1 P-DE-001\nleads\nquit\n",
    )
    assert "✔ Lead #1 wurde zurückgegeben" in out
    assert "Lead #1 wurde zurückgegeben. Die Details sind nicht mehr sichtbar." in out  # the card
    assert "Von diesem Lead ausgeschlossen: zurückgegeben" in out  # explain, in German
    # The offer it claimed: "übernommen" — "gewonnen" read like a closed sale.
    assert "Angebote dieses Leads an den Partner: R1 W1 #1 übernommen" in out, out
    assert "NICHT GEEIGNET" in out
    pipeline = out[out.rindex("Pipeline:") :]
    assert "#1    ausgeschrieben" in pipeline  # offered again, to others


def test_claim_again_after_giving_the_lead_back_says_it_is_no_longer_available(
    demo: Path,
) -> None:
    """A rep who handed a lead back (or lost it to a recall) and presses its Claim again is
    told it is no longer available to them — not that somebody else took it: nobody has.
    Once another partner claims it, "already taken" is true and said."""
    james = "james.whitfield@alpen-it.example"  # P-DE-001, English
    out = console(
        demo,
        f"as {ANNA}\nclaim 1\nhandback 1 no_capacity\nclaim 1\nas {james}\nclaim 1\nquit\n",
    )
    after = out[out.index("✔ Lead #1 wurde zurückgegeben") :]
    assert "✖ Dieser Lead ist nicht mehr verfügbar." in after, after
    assert "✖ This lead is no longer available." in after, after
    assert "bereits übernommen" not in after and "already been taken" not in after

    katharina = "katharina.wolf@ffm-systemintegration.example"  # offer 2: lead 2
    recalled = console(demo, f"as {katharina}\nclaim 2\nwait 25h\nclaim 2\nquit\n")
    after = recalled[recalled.index("wurde zurückgeholt, weil bis zur Frist") :]
    assert "✖ Dieser Lead ist nicht mehr verfügbar." in after, after
    assert "bereits übernommen" not in after


def test_english_sentences_name_a_status_in_lower_case_as_german_ones_do(demo: Path) -> None:
    """The English status words are spelt like their codes ("won"): that was taken for a
    missing translation, and the button's label ("Won") was put in the middle of the
    sentence. A report that is no status (a follow-up) still reads as its button."""
    james = "james.whitfield@alpen-it.example"  # P-DE-001, English
    out = console(
        demo,
        f"as {james}\nclaim 1\ncontacted 1\nfollowup 1 tomorrow\nwon 1 5000\n"
        "lost 1 price\nas staff\nquit\n",
    )
    assert "✔ Lead #1: contacted." in out, out
    assert "✔ Lead #1: won." in out
    assert "✖ Lead #1 is won — that is not possible now." in out
    feed = out[out.rindex("> as staff") :]
    assert "meldet „kontaktiert“" in feed and "meldet „Wiedervorlage“" in feed, feed


def test_bad_input_is_explained_and_changes_nothing(demo: Path) -> None:
    out = console(
        demo,
        f"claim one\nfrobnicate\nas nobody@example.com\nas {ANNA}\nwon 1 lots\n"
        "lost 1 because\nfollowup 1 31.02.2026\nrelease 8\nlead 2\nquit\n",
    )
    # Said in the asker's language (staff and this rep: German), with the usage.
    assert (
        "✖ claim: Die Angebotsnummer muss eine Zahl sein, nicht 'one'."
        " Aufruf: claim <Angebots-Nr.>" in out
    )
    assert "✖ Unbekannter Befehl 'frobnicate'; 'help' zeigt alle Befehle." in out
    assert "✖ Niemand aktiv im Vertrieb mit der E-Mail 'nobody@example.com'" in out
    assert "✖ won: Umsatz: 'lots' ist kein Betrag in Euro. Aufruf: won <Lead-Nr.> <Umsatz €>" in out
    assert "✖ lost: Unbekannter Grund 'because'" in out
    assert "✖ followup: Kein Datum: '31.02.2026'" in out
    assert "✖ Das dürfen nur Mitarbeitende des Herstellers." in out
    assert "✖ Lead #2 gehört nicht Ihrem Unternehmen." in out
    later = console(demo, "as staff\nleads\nquit\n")
    assert "#1    ausgeschrieben" in later and "#8    zurückgehalten" in later


def test_the_console_s_own_commands_speak_the_session_s_language(demo: Path) -> None:
    out = console(demo, "as\nwait soon\nwait 2h\noutbox\nquit\n")
    assert out.startswith("leadbot-Konsole — help zeigt die Befehle, quit beendet.")
    assert "✖ as: Angabe fehlt. Aufruf: as staff | as <E-Mail des Vertriebs>" in out
    assert "✖ wait: Keine Dauer: 'soon'. Aufruf: wait <30m | 2h | 1d>" in out
    # The time as German writes it everywhere else (it was 2026-11-30 19:42, ISO)
    assert re.search(r"… Zeit vergeht: Es ist jetzt \d\d\.\d\d\.\d{4} \d\d:\d\d\.\n", out), out
    assert "Nachrichten warten im Postausgang auf die Konsole." in out or (
        "Nachricht wartet im Postausgang auf die Konsole." in out
    )
    assert out.rstrip().endswith("Tschüss.")
    english = demo.read_text(encoding="utf-8").replace('language = "de"', 'language = "en"')
    assert english != demo.read_text(encoding="utf-8")
    demo.write_text(english, encoding="utf-8")
    out = console(demo, "wait soon\nwait 2h\nwait 99999d\nwait 89d\nwait 2d\nquit\n")
    assert "✖ wait: Not a duration: 'soon'. Usage: wait <30m | 2h | 1d>" in out
    assert out.count("… Time passes: it is now ") == 2  # 2h and 89d
    assert re.search(r"it is now \d{4}-\d\d-\d\d \d\d:\d\d\.\n", out), out
    assert out.rstrip().endswith("Bye.")
    too_far = "✖ The console's clock may run at most 90 days ahead of real time (now {} days"
    assert too_far.format("0.1") in out and too_far.format("89.1") in out


def test_a_line_that_is_not_utf8_is_said_to_be_so(demo: Path) -> None:
    """Latin-1 from an old terminal or file: said as the encoding it is, not as a control
    character (as before), and the console goes on."""
    script = "Gr\u00fc\u00dfe\nas caf\u00e9@example.com\nwait 2\u00e9h\nwhoami\nquit\n"
    proc = leadbot_process("console", config=demo, stdin=script.encode("latin-1"))
    assert proc.returncode == 0, proc.stderr
    said = (
        "✖ Ihre Nachricht ist kein UTF-8-Text (das Terminal oder die Datei verwendet eine "
        "andere Kodierung); bitte den Befehl neu eingeben."
    )
    assert proc.stdout.count(said) == 3, proc.stdout  # `as` and `wait` too (`as` crashed)
    assert "Steuerzeichen" not in proc.stdout
    assert "Sie gehören zum Team des Herstellers." in proc.stdout  # whoami still answered


def test_an_unknown_partner_named_at_length_is_named_by_its_start(demo: Path) -> None:
    """A 500-character id pasted by mistake is not printed back whole in the reply."""
    long_id = "P" * 500
    out = console(demo, f"pause {long_id}\nassign 1 {long_id}\nquit\n")
    said = f"Einen Partner {'P' * 60}… gibt es nicht."  # no English "(500 characters)"
    assert out.count(said) == 2, out
    assert out.count(long_id) == 2  # only where the console echoes the two commands


def test_staff_release_of_a_lead_held_without_consent(demo: Path) -> None:
    out = console(demo, "release 8\nrelease 8 consent\nrelease 1\nquit\n")
    assert "keine Einwilligung" in out or "no consent" in out
    assert "✔ Lead #8 freigegeben" in out
    # Lead 1 was offered, never held: said plainly, with its state (not "das geht jetzt nicht").
    assert (
        "✖ Lead #1 wird nicht zurückgehalten (Status: ausgeschrieben): Freigeben lässt sich nur "
        "ein zurückgehaltener Lead." in out
    )


def test_staff_reoffer_and_recall_in_the_wrong_state_say_what_they_need(demo: Path) -> None:
    """Lead 1 is offered: neither offered again nor recalled, and the answer says which
    leads can be (it said "Lead #1 ist angeboten — das geht jetzt nicht")."""
    out = console(demo, "reoffer 1\nrecall 1\nquit\n")
    assert (
        "✖ Lead #1 ist ausgeschrieben: Neu anbieten lässt sich nur ein Lead ohne passenden Partner "
        "oder einer, den niemand angenommen hat." in out
    )
    assert (
        "✖ Lead #1 ist ausgeschrieben: Zurückrufen lässt sich nur ein Lead, den ein Partner "
        "angenommen und noch nicht abgeschlossen hat." in out
    )


def test_staff_erase_of_an_erased_lead_is_fulfilled(demo: Path) -> None:
    """As ``leadbot erase`` and the CRM API's ``DELETE``: erasing again is no error (it
    answered "Lead #8 ist gelöscht — das geht jetzt nicht"), it says nothing was left."""
    out = console(demo, "erase 8\nerase 8\nquit\n")
    assert "✔ Lead #8 gelöscht. Personenbezogene Daten wurden entfernt." in out
    assert "✔ Lead #8 war bereits gelöscht: Es gibt nichts mehr zu entfernen." in out
    assert "✖" not in out


def test_headings_and_usages_speak_the_reader_s_language(demo: Path) -> None:
    """German sessions headed every message "[staff feed]", "[channel …]", "[direct
    message]" and their help said "won <lead> <revenue €>". A heading is now in the
    language of the message under it — the staff feed's in ``[staff] language``, a rep's
    direct messages in the rep's, a channel's in the partner's — and what to fill in is
    said in the reader's language; the words to type stay as the parser takes them."""
    james = "james.whitfield@alpen-it.example"  # P-DE-001's English-speaking rep
    out = console(demo, f"help\nas {james}\nclaim 1\nhelp\nas staff\nquit\n")
    german_help, rest = out.split(f"staff> as {james}")
    assert "  won <Lead-Nr.> <Umsatz €>" in german_help
    assert "  pause <Partner-ID> [bis <Datum>] [Grund]" in german_help
    assert "  release <Lead-Nr.> [einwilligung]" in german_help
    assert "  as staff | as <E-Mail des Vertriebs>" in german_help
    assert not re.search(r"<(lead|offer|partner|date|reason)>|\[note\]", german_help)
    # The partner's channel is German, James's direct messages English, the feed German.
    assert "[Kanal P-DE-001]\n  ★ Neuer Lead · Welle 1" in rest
    assert "  ➜ Übernehmen: claim 1 · Nichts für uns: decline 1 <Grund>" in rest
    assert "[direct message]\n  ■ Lead #1: Bergbrauerei Wallner GmbH   [claimed]" in rest
    assert "won 1 <revenue €> · lost 1 <reason> · followup 1 <date>" in rest
    assert "  won <lead> <revenue €>" in rest  # James's own help
    assert "[Feed der Mitarbeitenden]\n  ◆ Lead #1 übernommen von Alpen-IT" in rest
    assert "[staff feed]" not in out and "[channel " not in out

    english_staff = leadbot_process(
        "console",
        config=demo,
        stdin="pause P-DE-005\nquit\n",
        env={"LEADBOT_STAFF__LANGUAGE": "en"},
    )
    assert english_staff.returncode == 0, english_staff.stderr
    assert "[staff feed]\n  ◆ Partner Spree Digital" in english_staff.stdout


def test_a_recalled_rep_s_card_says_the_manufacturer_took_the_lead(demo: Path) -> None:
    """The card of a lead staff recalled said "the deadline passed or staff reassigned it",
    so the rep could not tell whether they had been too slow; it now names the cause."""
    out = console(demo, f"as {ANNA}\nclaim 1\nas staff\nrecall 1\nas {ANNA}\nleads\nquit\n")
    after = out[out.index("recall 1") :]
    assert (
        "Lead #1 wurde vom Hersteller zurückgeholt. Die Details sind nicht mehr sichtbar" in after
    )
    assert "Frist" not in after.split("zurückgeholt", 1)[1].split("\n", 1)[0]


def test_a_german_rep_types_reasons_in_german(demo: Path) -> None:
    """``lost 1 preis`` was refused: "Unbekannter Grund 'preis'; möglich sind price,
    competitor, no_budget, …" — only the English codes were understood, and listed. The
    German words are understood now (any case, ``-``/``_``, ``ae`` for ``ä``), and the usage
    and the refusal list them."""
    out = console(
        demo,
        f"as {ANNA}\nclaim 1\nlost 1 teuer\nlost 1 Preis zu teuer für das Budget\n"
        "claim 7\nhelp\nquit\n",
    )
    assert (
        "lost: Unbekannter Grund 'teuer'; möglich sind preis, wettbewerber, kein-budget, "
        "kein-bedarf, zeitpunkt, nicht-erreichbar, sonstiges." in out
    ), out
    assert "✔ Lead #1: verloren" in out, out
    assert "lost <Lead-Nr.> <preis|wettbewerber|kein-budget|" in out  # help, in German words
    assert "handback <Lead-Nr.> <keine-kapazität|falsche-region|" in out


def test_leads_writes_the_follow_up_day_as_the_reader_s_language_does(demo: Path) -> None:
    """The team's list showed the follow-up as ``⏰ 2026-12-08`` (ISO) to German readers,
    while the card beside it said ``Wiedervorlage: 08.12.2026``; it is written as the card
    writes it, in the reader's language (Slack and Telegram already did)."""
    james = "james.whitfield@alpen-it.example"  # P-DE-001, English
    out = console(
        demo,
        f"as {ANNA}\nclaim 1\nfollowup 1 +1w\nleads\nas {james}\nleads\nas staff\nleads\nquit\n",
    )
    german = out[out.index(f"{ANNA}> leads") : out.index(f"{ANNA}> as {james}")]
    assert re.search(r"#1 .* · ⏰ \d\d\.\d\d\.\d{4}\n", german), german
    english = out[out.index(f"{james}> leads") : out.index(f"{james}> as staff")]
    assert re.search(r"#1 .* · ⏰ \d{4}-\d\d-\d\d\n", english), english  # as English cards
    staff = out[out.rindex("staff> leads") :]
    assert re.search(r"#1 .* · P-DE-001 · ⏰ \d\d\.\d\d\.\d{4}\n", staff), staff
