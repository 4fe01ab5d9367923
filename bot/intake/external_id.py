"""The CRM's id of a lead (``external_id``, the idempotency key): its one canonical form.

Split from :mod:`bot.intake.schema` because the lead API's look-ups
(:mod:`bot.web.crm_params`) and the tombstones (:mod:`bot.crm.erased_leads`) must compare
ids exactly as intake stores them.
"""

from __future__ import annotations

import unicodedata

MAX_EXTERNAL_ID = 200
EXTERNAL_ID_DESCRIPTION = (
    "The CRM's id of the lead (idempotency key). Compared in Unicode NFC: an accented "
    "letter sent as one character or as a letter plus a combining accent is the same id, "
    "and it is stored and answered in NFC."
)


def canonical_external_id(value: str) -> str:
    """``value`` in Unicode NFC, the one form ids are stored, looked up and tombstoned in.

    The same visible id from two systems (macOS and many web forms send decomposed NFD,
    most others NFC) used to name two leads: the second was stored again, as a new lead.
    NFC can be longer than the text sent (U+0958 becomes two characters), so the length
    is checked again: the column holds 200."""
    value = unicodedata.normalize("NFC", value)
    if len(value) > MAX_EXTERNAL_ID:
        raise ValueError(
            f"must be at most {MAX_EXTERNAL_ID} characters in Unicode NFC "
            f"(this one has {len(value)})"
        )
    return value
