"""external id in NFC: leads stored with a decomposed (NFD) external_id get its NFC form

Revision ID: 0015
Revises: 0014

Since this release an ``external_id`` is compared, stored and looked up in Unicode NFC
(bot/intake/external_id.py). A lead stored earlier with the decomposed spelling — macOS
and many web forms send "Müller" as "u" plus a combining diaeresis — would be found only by
that spelling, and the CRM's next retry in NFC would make a second lead. The upgrade writes
each such id in NFC, unless

* another lead already has the NFC spelling (the duplicate this release prevents was made
  before it): both stay as they are, and ``leadbot migrate`` names the two lead numbers so
  staff can erase or keep one;
* the NFC form is longer than the column's 200 characters: it stays, named likewise.

Ids of erased leads need nothing: their tombstones match both spellings
(bot/crm/erased_leads.py). The downgrade changes nothing back (which spelling a CRM sent
was not recorded; an older leadbot finds the NFC spelling as before).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_LENGTH = 200
PAGE = 5000

_leads = sa.table("leads", sa.column("id", sa.BigInteger()), sa.column("external_id", sa.String()))


def _not_nfc(connection: sa.Connection) -> list[tuple[int, str]]:
    """The leads whose external id is not in NFC, read a page at a time (a big table's
    ids are not all held at once; nearly every id is plain ASCII)."""
    found: list[tuple[int, str]] = []
    last = 0
    while True:
        page = connection.execute(
            sa.select(_leads.c.id, _leads.c.external_id)
            .where(_leads.c.external_id.is_not(None), _leads.c.id > last)
            .order_by(_leads.c.id)
            .limit(PAGE)
        ).all()
        if not page:
            return found
        found += [(i, e) for i, e in page if not e.isascii() and not _is_nfc(e)]
        last = page[-1][0]


def _is_nfc(value: str) -> bool:
    return unicodedata.normalize("NFC", value) == value


def upgrade() -> None:
    connection = op.get_bind()
    for lead_id, external_id in _not_nfc(connection):
        nfc = unicodedata.normalize("NFC", external_id)
        if len(nfc) > MAX_LENGTH:
            _tell(f"lead {lead_id}: its external_id in NFC is longer than {MAX_LENGTH} "
                  "characters; left as it was")  # fmt: skip
            continue
        other = connection.scalar(sa.select(_leads.c.id).where(_leads.c.external_id == nfc))
        if other is not None:
            _tell(f"leads {other} and {lead_id} have the same external_id in two Unicode "
                  f"forms (a duplicate made before this release); lead {lead_id} keeps its "
                  "spelling — erase the one you do not want (leadbot erase <lead>)")  # fmt: skip
            continue
        connection.execute(_leads.update().where(_leads.c.id == lead_id).values(external_id=nfc))


def _tell(line: str) -> None:
    """One line for whoever runs ``leadbot migrate`` (no lead data: numbers only)."""
    print(f"migration 0015: {line}", file=sys.stderr)


def downgrade() -> None:
    pass
