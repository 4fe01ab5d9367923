"""Numeric ids read from chat payloads, bounded to what the database can hold.

Every number leadbot reads from a chat payload ends up as a query parameter: a lead or
offer id in a button's value, Telegram's callback data or a Slack modal's
``private_metadata``, a Telegram user or chat id. The database's integer columns are 64
bits wide, and a larger number does not simply find nothing: the driver raises
(``OverflowError`` on SQLite, ``DBAPIError`` on PostgreSQL) and the request ends as a
failure with a traceback. Slack and Telegram never send such numbers, so one that does not
fit is malformed input, refused where the payload is read. The bound lives here, once, for
both platforms (and for the lead ids in the CRM API's paths).
"""

from __future__ import annotations

INT64_LIMIT = 2**63
"""No 64-bit (signed) integer column holds a number this large, or larger."""


def database_id(value: object) -> int | None:
    """``value`` as the id of a row leadbot made (1 to 2**63 - 1), or None.

    Only an ``int`` counts, not a ``bool`` (JSON's ``true`` would otherwise be lead 1) and
    not text: payload parsers turn the digits they read into an ``int`` first.
    """
    if type(value) is not int or not 0 < value < INT64_LIMIT:
        return None
    return value


def fits_int64(value: int) -> bool:
    """Whether a platform's own number (a Telegram user or chat id, negative for groups)
    fits a 64-bit column."""
    return abs(value) < INT64_LIMIT
