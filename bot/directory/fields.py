"""Cell parsers for the directory CSV files: one function per kind of value.

Each parser takes the stripped cell text and returns the value or raises
:class:`CellError` with a message a person exporting from Excel can act on. They know
nothing of rows or files, so the partner and rep parsers stay declarative.
"""

from __future__ import annotations

import re
from enum import Enum

from bot.plaintext import LIST_SEPARATOR, quoted, trim


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRIES = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """
)

# ISO 3166-2 subdivisions for the home markets; other countries are checked by format only.
SUBDIVISIONS: dict[str, frozenset[str]] = {
    "DE": _codes("BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH"),  # the 16 Länder
    "AT": _codes("1 2 3 4 5 6 7 8 9"),  # Burgenland (1) … Wien (9)
    "CH": _codes("AG AI AR BE BL BS FR GE GL GR JU LU NE NW OW SG SH SO SZ TG TI UR VD VS ZG ZH"),
}

# Postal code shapes where we know them; elsewhere a loose pattern.
POSTAL_CODE_DIGITS = {"DE": 5, "AT": 4, "CH": 4, "LI": 4}
_POSTAL_LOOSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")
_SUBDIVISION = re.compile(r"^([A-Z]{2})-([A-Z0-9]{1,3})$")
_POSTAL_PREFIX = re.compile(r"^([A-Z]{2}):([0-9A-Z]{1,8})$")

SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,20}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{6,20}$")
INT64_MAX = 2**63 - 1


class CellError(ValueError):
    """The cell's value is not acceptable; the message says what is expected."""


class Keep(Enum):
    """An empty chat-identity cell: leave what is stored (it may have been linked in chat)."""

    KEEP = "keep"


KEEP = Keep.KEEP
CLEAR_MARK = "-"


def split_list(cell: str) -> list[str]:
    """``"a; b;;c"`` -> ``["a", "b", "c"]`` (empty items are ignored)."""
    return [trim(item) for item in cell.split(LIST_SEPARATOR) if trim(item)]


def whole_number(cell: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A whole number written plainly (``25000``, ``25_000``).

    ``25.000`` is twenty-five thousand to a German reader and ``25,000`` to an English one,
    so a grouped number is refused with that hint instead of being guessed; a fraction
    (``1.5``) is refused too. Shared by every CSV import with whole-number cells.
    """
    text = cell.replace("_", "")
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        if re.fullmatch(r"[0-9]{1,3}([.,' ][0-9]{3})+", text):
            raise CellError(f"{quoted(cell)}: write whole numbers without thousands separators")
        raise CellError(f"{quoted(cell)} is not a whole number")
    sign, digits = (text[0], text[1:]) if text[0] in "+-" else ("", text)
    digits = digits.lstrip("0") or "0"  # int() counts leading zeros towards its limit too
    if len(digits) > len(str(INT64_MAX)):
        # Out of every range here; and int() refuses more than 4,300 digits with a
        # ValueError, which no caller expects (the import stopped with a traceback).
        raise CellError(f"{quoted(cell)} is out of range ({minimum} to {maximum})")
    value = int(sign + digits)
    if not minimum <= value <= maximum:
        raise CellError(f"{value} is out of range ({minimum} to {maximum})")
    return value


def decimal_number(cell: str, *, minimum: float, maximum: float) -> float:
    """A decimal number; a single decimal comma (German Excel) is accepted too."""
    text = cell
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"{quoted(cell)} is not a number") from None
    if value != value or not minimum <= value <= maximum:  # NaN or out of range
        raise CellError(f"{cell} is out of range ({minimum:g} to {maximum:g})")
    return value


def country(cell: str) -> str:
    code = cell.upper()
    if code not in COUNTRIES:
        raise CellError(f"{quoted(cell)} is not an ISO 3166 country code such as DE, AT or CH")
    return code


def postal_code(cell: str, country_code: str | None) -> str:
    digits = POSTAL_CODE_DIGITS.get(country_code or "")
    if digits is not None:
        if not re.fullmatch(rf"[0-9]{{{digits}}}", cell):
            # "of AT", not "an AT postal code": the article before a code depends on how
            # it is spoken, which a template cannot know.
            raise CellError(
                f"{quoted(cell)} is not a postal code of {country_code} ({digits} digits)"
            )
        return cell
    if not _POSTAL_LOOSE.match(cell):
        raise CellError(f"{quoted(cell)} is not a postal code")
    return cell.upper()


def territory(item: str) -> str:
    """``DE`` (country), ``DE-BY`` (state/canton), ``DE:80`` (postal code prefix)."""
    text = item.strip().upper()
    if len(text) == 2:
        return country(text)
    match = _SUBDIVISION.match(text)
    if match:
        cc, sub = match.groups()
        country(cc)
        known = SUBDIVISIONS.get(cc)
        if known is not None and sub not in known:
            listed = ", ".join(f"{cc}-{s}" for s in sorted(known))
            raise CellError(f"{quoted(item)} is not a subdivision of {cc} (known: {listed})")
        return text
    match = _POSTAL_PREFIX.match(text)
    if match:
        cc, prefix = match.groups()
        country(cc)
        digits = POSTAL_CODE_DIGITS.get(cc)
        if digits is not None and not (prefix.isdigit() and len(prefix) <= digits):
            raise CellError(
                f"{quoted(item)}: a postal code prefix of {cc} has 1 to {digits} digits"
            )
        return text
    raise CellError(
        f"{quoted(item)} is not a territory; write a country (DE), a state (DE-BY) "
        f"or a postal code prefix (DE:80)"
    )


def choice(cell: str, allowed: list[str] | tuple[str, ...], what: str) -> str:
    """Case-insensitive pick from ``allowed``; returns the canonical spelling."""
    for option in allowed:
        if cell.casefold() == option.casefold():
            return option
    if not allowed:  # e.g. a directory imported before any [[products]] are configured
        raise CellError(f"{quoted(cell)} is not a {what}: none are configured yet")
    raise CellError(f"{quoted(cell)} is not a {what} (known: {', '.join(allowed)})")


def choices(cell: str, allowed: list[str] | tuple[str, ...], what: str) -> list[str]:
    """A ``;`` list of choices, duplicates removed, order kept."""
    out: list[str] = []
    problems: list[str] = []
    for item in split_list(cell):
        try:
            value = choice(item, allowed, what)
        except CellError as exc:
            problems.append(str(exc))
            continue
        if value not in out:
            out.append(value)
    if problems:
        raise CellError("; ".join(problems))
    return out


def slack_channel(cell: str) -> str | Keep | None:
    if not cell:
        return KEEP
    if cell == CLEAR_MARK:
        return None
    if not SLACK_CHANNEL.match(cell):
        raise CellError(f"{quoted(cell)} is not a Slack channel id such as C0123456789")
    return cell


def slack_user(cell: str) -> str | Keep | None:
    if not cell:
        return KEEP
    if cell == CLEAR_MARK:
        return None
    if not SLACK_USER.match(cell):
        raise CellError(f"{quoted(cell)} is not a Slack user id such as U0123456789")
    return cell


def telegram_chat(cell: str) -> int | Keep | None:
    """Group and channel chats have negative ids (-100… for supergroups)."""
    if not cell:
        return KEEP
    if cell == CLEAR_MARK:
        return None
    if not re.fullmatch(r"-?[0-9]{1,19}", cell) or int(cell) == 0 or abs(int(cell)) > INT64_MAX:
        raise CellError(f"{quoted(cell)} is not a Telegram chat id such as -1001234567890")
    return int(cell)


def telegram_user(cell: str) -> int | Keep | None:
    """User ids are positive."""
    if not cell:
        return KEEP
    if cell == CLEAR_MARK:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", cell) or int(cell) == 0 or int(cell) > INT64_MAX:
        raise CellError(f"{quoted(cell)} is not a Telegram user id (a positive number)")
    return int(cell)
