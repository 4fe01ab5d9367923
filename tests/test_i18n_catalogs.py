"""The German and English catalogs say the same things, and every key the code names exists.

A key only one language has falls back to the other language in a reader's text; a
placeholder only one language has is left as ``{name}`` or dropped; a key the code names
that no catalog has is shown as the key itself (``slack.help_rep``). Each is a text
defect a reader sees, so each is found here rather than by a German reader.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.i18n import LANGUAGES, catalog

BOT = Path(__file__).resolve().parent.parent / "bot"
PLURAL_FORMS = ("by", "zero", "one", "two", "few", "many", "other")
NAMED_KEY = re.compile(r"""\bt\(\s*[\w.]+\s*,\s*["']([a-z_][\w.-]*)["']""")
"""``t(language, "a.key")``, ``t(lang, 'a.key')`` in Python and in the Jinja templates."""


def _entries(language: str) -> dict[str, set[str]]:
    """Each key with the placeholders its text uses; a plural table (``{by = …, one = …,
    other = …}``) is one key, its forms' placeholders together."""
    found = catalog(language)
    entries: dict[str, set[str]] = {}
    for key, text in found.items():
        base, _, form = key.rpartition(".")
        if form in PLURAL_FORMS and f"{base}.by" in found:
            key = base
            if form == "by":
                entries.setdefault(key, set())
                continue
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        entries.setdefault(key, set()).update(names)
    return entries


def test_both_languages_have_the_same_keys_with_the_same_placeholders() -> None:
    de, en = _entries("de"), _entries("en")
    assert sorted(set(de) - set(en)) == [], "only in de.toml"
    assert sorted(set(en) - set(de)) == [], "only in en.toml"
    differ = {key: (de[key], en[key]) for key in de if de[key] != en[key]}
    assert differ == {}, "placeholders differ (de, en)"


def test_every_key_the_code_names_is_in_the_catalogs() -> None:
    known = set().union(*(_entries(language) for language in LANGUAGES))
    named = {
        (str(path.relative_to(BOT)), key)
        for path in BOT.rglob("*")
        if path.suffix in (".py", ".j2")
        for key in NAMED_KEY.findall(path.read_text(encoding="utf-8"))
        if not key.endswith(".")  # a prefix a template completes: t(lang, 'card.' ~ event)
    }
    assert len(named) > 300  # the pattern still finds the code's keys
    assert sorted((where, key) for where, key in named if key not in known) == []


def test_the_keys_nothing_used_are_gone() -> None:
    """Found unused and removed: the Telegram usage line (usage errors use ``usage.*``),
    card and pipeline words no template shows, the cockpit's "Filter" button text."""
    for language in LANGUAGES:
        left = set(catalog(language)) & {
            "telegram.usage",
            "telegram.pipeline.title",
            "telegram.pipeline.open",
            "card.company",
            "card.role",
            "email.claim_closed",
            "cockpit.filter",
        }
        assert left == set(), language
