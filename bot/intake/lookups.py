"""What intake must know about a lead before storing it, looked up for one lead or many.

For each lead: the stored lead with the same ``external_id`` (it is returned instead), an
erased lead of that ``external_id`` (refused) or of the contact e-mail (held), and the
first open lead with the same contact e-mail or company domain (held as a possible
duplicate). A lead arriving alone asks in one statement (:func:`known_one`); leads
received together ask once for a hundred of them (:class:`KnownMany`), which is the
same questions as sets — the answers are the same.

Both also ask whether the database's tombstones are made with this process's key
(:func:`bot.crm.tombstones.other_key_query`), in the same statement: with another key the
tombstones would not be found, so intake refuses (``TombstoneKeyMismatch``) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, String, bindparam, cast, func, literal, null, or_, select, union_all

from bot.crm.erased_leads import EMAIL, EXTERNAL_ID, digests, erased_query
from bot.crm.tombstones import KEY_PARAM, key_mismatch, other_key_query, own_fingerprint
from bot.intake.schema import LeadIn
from bot.models import Lead, LeadPersonalData, LeadStatus, LeadTombstone, TombstoneKey
from bot.uow import UnitOfWork

TERMINAL = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.ERASED)


@dataclass(frozen=True)
class Known:
    """What the database already knows about a lead about to be stored."""

    existing: tuple[int, LeadStatus] | None
    """The stored lead with the same ``external_id``: its id and status."""
    erased_external_id: int | None
    erased_email: int | None
    duplicate_of: int | None


def contact_keys(data: LeadIn) -> tuple[str | None, str | None]:
    """The contact e-mail (as stored: lower case) and company domain of ``data``."""
    email = data.contact.email.lower() if data.contact.email else None
    return email, data.company.domain


# An open lead with the same contact e-mail or company domain (a missing value is bound
# as NULL, which matches nothing).
_DUPLICATE = (
    select(Lead.id)
    .join(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
    .where(
        or_(
            LeadPersonalData.contact_email == bindparam("email"),
            LeadPersonalData.domain == bindparam("domain"),
        ),
        Lead.status.not_in(TERMINAL),
    )
    .order_by(Lead.id)
    .limit(1)
)


def _one_query() -> Select[
    tuple[int | None, str | None, int | None, int | None, int | None, str | None]
]:
    """Everything about one lead in one statement: each a scalar subquery that is NULL when
    a value is missing (a NULL parameter matches nothing; an empty digest list neither),
    and last another key's fingerprint if the tombstones are made with one. Four round
    trips were a sixth of a lead's statements."""
    by_external_id = select(Lead.id).where(Lead.external_id == bindparam("external_id")).limit(1)
    return select(
        by_external_id.scalar_subquery(),
        by_external_id.with_only_columns(Lead.status).scalar_subquery(),
        erased_query(EXTERNAL_ID, "external_id_digests").scalar_subquery(),
        erased_query(EMAIL, "email_digests").scalar_subquery(),
        _DUPLICATE.scalar_subquery(),
        other_key_query(),
    )


_ONE = _one_query()  # built once: building a statement costs more than running it


async def known_one(uow: UnitOfWork, data: LeadIn, email: str | None, domain: str | None) -> Known:
    settings = uow.settings
    row = (
        await uow.session.execute(
            _ONE,
            {
                "external_id": data.external_id or None,
                "external_id_digests": digests(settings, EXTERNAL_ID, data.external_id),
                "email_digests": digests(settings, EMAIL, email),
                "email": email or None,
                "domain": domain or None,
                KEY_PARAM: own_fingerprint(settings),
            },
        )
    ).one()
    lead_id, status, erased_external_id, erased_email, duplicate_of, other_key = row
    if other_key is not None:
        raise key_mismatch(settings)
    existing = (lead_id, LeadStatus(status)) if lead_id is not None else None
    return Known(existing, erased_external_id, erased_email, duplicate_of)


def _many_query() -> Select[tuple[str, str, int, str | None]]:
    """The same questions for sets of values, in one statement of (what, value, lead, status)
    rows: stored external_ids, tombstones (any kind: the digest says which value it was),
    the first open lead per contact e-mail and per domain, and another key's fingerprint
    if the tombstones are made with one (``other_key``)."""
    open_leads = (
        select(Lead.id, LeadPersonalData.contact_email, LeadPersonalData.domain)
        .join(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
        .where(Lead.status.not_in(TERMINAL))
    )
    by_email = open_leads.where(
        LeadPersonalData.contact_email.in_(bindparam("emails", expanding=True))
    ).subquery()
    by_domain = open_leads.where(
        LeadPersonalData.domain.in_(bindparam("domains", expanding=True))
    ).subquery()
    text = String()
    return union_all(
        select(literal("stored", text), Lead.external_id, Lead.id, cast(Lead.status, text)).where(
            Lead.external_id.in_(bindparam("external_ids", expanding=True))
        ),
        select(literal("erased", text), LeadTombstone.digest, LeadTombstone.lead_id, null()).where(
            LeadTombstone.digest.in_(bindparam("digests", expanding=True))
        ),
        select(
            literal("email", text), by_email.c.contact_email, func.min(by_email.c.id), null()
        ).group_by(by_email.c.contact_email),
        select(
            literal("domain", text), by_domain.c.domain, func.min(by_domain.c.id), null()
        ).group_by(by_domain.c.domain),
        select(literal("other_key", text), TombstoneKey.fingerprint, null(), null()).where(
            TombstoneKey.fingerprint != bindparam(KEY_PARAM)
        ),
    )  # type: ignore[return-value]


_MANY = _many_query()


@dataclass(frozen=True)
class _Questions:
    """What is asked about one lead, each a (what, value) key of the answers."""

    stored: tuple[str, str]
    email: tuple[str, str]
    domain: tuple[str, str]
    erased_external_id: tuple[tuple[str, str], ...]
    erased_email: tuple[tuple[str, str], ...]

    def all(self) -> list[tuple[str, str]]:
        keys = [self.stored, self.email, self.domain, *self.erased_external_id]
        return [key for key in [*keys, *self.erased_email] if key[1]]


class KnownMany:
    """The answers for many leads, read in one statement (:meth:`load`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._asked: set[tuple[str, str]] = set()
        self._found: dict[tuple[str, str], tuple[int, str | None]] = {}
        self._questions_of: dict[int, tuple[LeadIn, _Questions]] = {}
        """Per lead (by ``id()``, with the lead kept so the id stays its own): its questions,
        made once — a tombstone digest is an HMAC per key and kind."""

    def _questions(self, data: LeadIn) -> _Questions:
        held = self._questions_of.get(id(data))
        if held is not None and held[0] is data:
            return held[1]
        settings = self._uow.settings
        email, domain = contact_keys(data)
        questions = _Questions(
            ("stored", data.external_id or ""),
            ("email", email or ""),
            ("domain", domain or ""),
            tuple(("erased", d) for d in digests(settings, EXTERNAL_ID, data.external_id)),
            tuple(("erased", d) for d in digests(settings, EMAIL, email)),
        )
        self._questions_of[id(data)] = (data, questions)
        return questions

    def covers(self, data: LeadIn) -> bool:
        return all(q in self._asked for q in self._questions(data).all())

    async def load(self, leads: Iterable[LeadIn]) -> None:
        """Ask the database about these leads (without writing what is pending: the leads
        received together answer for themselves, :mod:`bot.intake.together`)."""
        questions = {q for data in leads for q in self._questions(data).all()} - self._asked
        values: dict[str, list[str]] = {"stored": [], "erased": [], "email": [], "domain": []}
        for what, value in sorted(questions):
            values[what].append(value)
        session = self._uow.session
        with session.no_autoflush:
            rows = await session.execute(
                _MANY,
                {
                    "external_ids": values["stored"],
                    "digests": values["erased"],
                    "emails": values["email"],
                    "domains": values["domain"],
                    KEY_PARAM: own_fingerprint(self._uow.settings),
                },
            )
        found = rows.all()
        if any(what == "other_key" for what, *_ in found):
            raise key_mismatch(self._uow.settings)
        for what, value, lead_id, status in found:
            self._found[(what, value)] = (lead_id, status)
        self._asked |= questions

    def known(self, data: LeadIn) -> Known:
        """The answers for ``data`` (:meth:`load` asked about it)."""
        asked = self._questions(data)
        found = self._found.get
        stored = found(asked.stored)
        return Known(
            (stored[0], LeadStatus(stored[1])) if stored else None,
            _first(*(found(key) for key in asked.erased_external_id)),
            _first(*(found(key) for key in asked.erased_email)),
            _first(found(asked.email), found(asked.domain)),
        )


def _first(*found: tuple[int, str | None] | None) -> int | None:
    ids = [f[0] for f in found if f is not None]
    return min(ids) if ids else None
