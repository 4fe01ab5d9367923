"""Erased stays erased: tombstones of an erased lead's external_id and contact e-mail.

A tombstone is ``HMAC-SHA256(key, "<kind>:<value>")`` — no personal data, and with the key
kept outside the database (``LEADBOT_SERVER__TOMBSTONE_KEY``) a database dump alone does
not let anyone test e-mail addresses against it. Intake looks values up by the same hash:
the same ``external_id`` again is refused (``410 Gone``, skipped by the import); a new
lead with the same contact e-mail is held as "previously erased" for staff to decide.

This module makes tombstones and finds the erased lead a value belonged to; which key
they are made with, and that every process uses the same one, is
:mod:`bot.crm.tombstones`.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.crm.tombstones import (
    KEY_PARAM,
    check_key,
    key_mismatch,
    other_key_query,
    own_fingerprint,
    tombstone_keys,
)
from bot.models import LeadTombstone

EXTERNAL_ID = "external_id"
EMAIL = "email"


def _normal(kind: str, value: str) -> str:
    return value.strip().lower() if kind == EMAIL else value


def digest(key: bytes, kind: str, value: str) -> str:
    """The tombstone of ``value`` (an ``external_id`` or an e-mail) under ``key``."""
    message = f"{kind}:{_normal(kind, value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def digests(settings: Settings, kind: str, value: str | None) -> list[str]:
    """What a tombstone of this value may be stored as (one digest per key tried); none
    for no value. For a look-up combined with others (intake's, :mod:`bot.intake.service`).

    An ``external_id`` comes in Unicode NFC (:func:`bot.intake.external_id.canonical_external_id`);
    before it did, an id was stored, and tombstoned on erasure, as sent — often decomposed
    (NFD). Its NFD form is tried too, so such an erased lead stays erased."""
    if not value:
        return []
    forms = [value]
    if kind == EXTERNAL_ID:
        forms = list(dict.fromkeys([value, unicodedata.normalize("NFD", value)]))
    return [digest(key, kind, form) for key in tombstone_keys(settings) for form in forms]


def erased_query(kind: str, digests_param: str) -> Select[tuple[int]]:
    """The erased lead whose tombstone of ``kind`` is one of the digests bound as
    ``digests_param`` (an expanding parameter: a list), at most one."""
    return (
        select(LeadTombstone.lead_id)
        .where(
            LeadTombstone.digest.in_(bindparam(digests_param, expanding=True)),
            LeadTombstone.kind == kind,
        )
        .order_by(LeadTombstone.lead_id)  # the first, as intake's look-up for many leads
        .limit(1)
    )


async def erased_lead(
    session: AsyncSession, settings: Settings, kind: str, value: str
) -> int | None:
    """The id of the erased lead that had this value, or None. Refuses (as
    :func:`check_key`) when the database's tombstones are made with another key."""
    params = {"digests": digests(settings, kind, value), "kind": kind}
    lead_id, other_key = (
        await session.execute(_ERASED, {**params, KEY_PARAM: own_fingerprint(settings)})
    ).one()
    if other_key is not None:
        raise key_mismatch(settings)
    return lead_id  # type: ignore[no-any-return]


# Built once: building a statement (and its cache key) costs more than running it.
_ERASED = select(
    select(LeadTombstone.lead_id)
    .where(
        LeadTombstone.digest.in_(bindparam("digests", expanding=True)),
        LeadTombstone.kind == bindparam("kind"),
    )
    .limit(1)
    .scalar_subquery(),
    other_key_query(),
)


async def bury(
    session: AsyncSession,
    settings: Settings,
    lead_id: int,
    now: datetime,
    *,
    external_id: str | None,
    email: str | None,
) -> None:
    """Keep tombstones of what identified the lead (before it is removed), after
    :func:`check_key` (which records this process's key if it is the first)."""
    await check_key(session, settings, now)
    key = tombstone_keys(settings)[0]
    for kind, value in ((EXTERNAL_ID, external_id), (EMAIL, email)):
        if not value:
            continue
        hashed = digest(key, kind, value)
        if await session.get(LeadTombstone, hashed) is None:
            session.add(LeadTombstone(digest=hashed, kind=kind, lead_id=lead_id, erased_at=now))
