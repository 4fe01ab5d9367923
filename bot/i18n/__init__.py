"""German and English texts, per rep. Catalogs are TOML files next to this module.

Keys are dotted (``claim.won``); values are ``str.format`` templates. A missing key in one
language falls back to the other, then to the key itself, so a gap never crashes a handler.
A value that depends on a number is a table ``{by = "<param>", one = "…", other = "…"}``;
the form is chosen by the language's plural rules (CLDR, through Babel).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_DIR = Path(__file__).resolve().parent


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(f"{name}.", value, out)
        else:
            out[name] = str(value)


@cache
def catalog(language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten("", tomllib.loads((_DIR / f"{language}.toml").read_text(encoding="utf-8")), out)
    return out


def normalise(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _plural(lang: str, key: str, params: dict[str, Any]) -> str | None:
    """A plural entry ``key = {by = "n", one = "…", other = "…"}``: the form for the
    number in ``params[by]``, by the language's plural rules (Babel / CLDR)."""
    found = catalog(lang)
    by = found.get(f"{key}.by")
    if by is None:
        return None
    try:
        form = Locale.parse(lang).plural_form(abs(int(params.get(by, 0))))
    except (TypeError, ValueError):
        form = "other"
    return found.get(f"{key}.{form}") or found.get(f"{key}.other")


def t(language: str | None, key: str, /, **params: Any) -> str:
    lang = normalise(language)
    template = catalog(lang).get(key) or _plural(lang, key, params)
    if template is None:
        other = "en" if lang == "de" else "de"
        template = catalog(other).get(key) or _plural(other, key, params) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def has(language: str | None, key: str) -> bool:
    return key in catalog(normalise(language))
