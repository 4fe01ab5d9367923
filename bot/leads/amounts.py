"""Amounts in euros as reps type them, in German or English notation.

A won lead's revenue is typed by hand in every chat (``won 14 12.500``, the Slack modal,
the Telegram reply, the e-mail form), by German and English speakers alike: ``12.500,50``
and ``12,500.50`` are the same amount. A misread amount is worse than a refused one — it
lands in the CRM and the campaign ROI — so this reads an amount only when its notation
is unambiguous and refuses everything else with the reason:

* both ``.`` and ``,``: the last one is the decimal mark, the other groups thousands;
* one of them, several times: it groups thousands (``1.000.000``, ``1,000,000``);
* one of them once: with one or two digits after it, a decimal mark (``12,5``,
  ``12500.50``); with three, it groups thousands (``12.500``, ``12,500``) — no one types
  euros to a tenth of a cent;
* thousands come in groups of three digits after a first group of one to three
  (``12.50.000`` is refused, not guessed at); cents have one or two digits.

``€``, ``EUR`` or ``Euro`` (as German reps write it, in any case) may come before or
after the amount. A space (or no-break space) between
digits groups thousands like a mark (``12 500``, ``1 000,50``), held to the same groups of
three: ``12 50`` is refused, not read as 1,250 €.

German writes whole euros with a dash for the cents: ``12.500,-`` (also ``,--``, ``,–``,
and ``,—``: a phone's or a Mac's smart punctuation turns a typed ``--`` into that dash).
The comma there is the decimal mark, so the euros before it may be grouped only by ``.`` or
a space, and hold no decimal mark of their own: ``12.50,-`` and ``12,500,-`` are refused.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.errors import InvalidInput
from bot.plaintext import quoted

MAX_REVENUE_EUR = Decimal("1000000000000")
"""Revenue must stay below this (a trillion euros): larger is a typing error."""

_CURRENCIES = ("€", "EURO", "EUR")
"""Matched without regard to case; "Euro" before "EUR", so "12.500 Euro" leaves no "o"."""
_SPACES = re.compile(r"\s+")
_NUMERAL = re.compile(r"[0-9.,]+(?: [0-9.,]+)*")
_DIGITS = 12
"""At most this many digits before the decimal mark: below :data:`MAX_REVENUE_EUR`."""
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:X[0-9]{3})+")
_CENTS = re.compile(r"[0-9]{1,2}")
_NO_CENTS = (",--", ",-", ",–", ",—")
"""German for "and no cents" after whole euros (``12.500,-``)."""


def _without_no_cents(amount: str) -> tuple[str, bool]:
    """The amount without a German ``,-`` at its end, and whether it had one."""
    for dash in _NO_CENTS:
        if amount.endswith(dash):
            return amount[: -len(dash)], True
    return amount, False


def _without_currency(typed: str) -> str:
    """The amount without a ``€``/``EUR`` before or after it (string operations: a regular
    expression with optional parts at both ends backtracks quadratically on long input)."""
    amount = typed
    for currency in _CURRENCIES:
        if amount[: len(currency)].upper() == currency:
            amount = amount[len(currency) :].lstrip()
            break
    for currency in _CURRENCIES:
        if amount[-len(currency) :].upper() == currency:
            amount = amount[: -len(currency)].rstrip()
            break
    return amount


def _not_an_amount(text: str) -> InvalidInput:
    return InvalidInput(
        f"revenue: {quoted(text)} is not an amount in euros", key="reply.revenue_invalid"
    )


def _whole(digits: str, grouping: str | None) -> str | None:
    """The euros before the decimal mark without grouping, or None if grouped wrongly."""
    if grouping is None:
        return digits if digits.isdigit() else None
    marked = digits.replace(grouping, "X")
    return digits.replace(grouping, "") if _GROUPED.fullmatch(marked) else None


def _split_spaced(numeral: str) -> tuple[str, str | None, str | None] | None:
    """As :func:`_split` for a numeral grouped by spaces (``12 500``, ``1 000,50``): a
    space only ever groups thousands; one ``.`` or ``,`` may follow as the decimal mark."""
    marks = [mark for mark in ".," if mark in numeral]
    if not marks:
        return numeral, None, " "
    if len(marks) > 1:
        return None
    euros, _, cents = numeral.rpartition(marks[0])
    return (euros, cents, " ") if marks[0] not in euros and " " not in cents else None


def _split(numeral: str) -> tuple[str, str | None, str | None] | None:
    """(euros, cents or None without a decimal mark, the grouping mark or None) of a
    numeral of digits, ``.`` and ``,``; None if a decimal mark comes twice."""
    marks = [mark for mark in ".," if mark in numeral]
    if len(marks) == 2:
        decimal = max(marks, key=numeral.rfind)
        grouping = "," if decimal == "." else "."
        euros, _, cents = numeral.rpartition(decimal)
        return (euros, cents, grouping) if decimal not in euros else None
    if not marks:
        return numeral, None, None
    mark = marks[0]
    euros, _, tail = numeral.rpartition(mark)
    if mark in euros or len(tail) == 3:
        return numeral, None, mark
    return euros, tail, None


def parse_revenue(text: str) -> Decimal:
    """``"12.500,50 €"``, ``"12,500.50"``, ``"12500"``, ``"1.000.000"`` -> Decimal with
    cents. Raises :class:`~bot.errors.InvalidInput` (``reply.revenue_invalid`` or
    ``reply.revenue_too_large``) for anything else, naming what was typed."""
    typed = text.strip()
    numeral, whole_euros = _without_no_cents(_SPACES.sub(" ", _without_currency(typed)))
    if not _NUMERAL.fullmatch(numeral) or (whole_euros and "," in numeral):
        raise _not_an_amount(typed)
    parts = _split_spaced(numeral) if " " in numeral else _split(numeral)
    if parts is None or (whole_euros and parts[1] is not None):  # "12.50,-": cents twice
        raise _not_an_amount(typed)
    euros, cents, grouping = parts
    whole = _whole(euros, grouping)
    if whole is None or (cents is not None and not _CENTS.fullmatch(cents)):
        raise _not_an_amount(typed)
    if len(whole.lstrip("0")) > _DIGITS or Decimal(whole) >= MAX_REVENUE_EUR:
        raise InvalidInput(
            f"revenue: {quoted(typed)} is too large (below {MAX_REVENUE_EUR:,} euros)",
            key="reply.revenue_too_large",
        )
    return Decimal(f"{whole}.{cents or '0'}").quantize(Decimal("0.01"))
