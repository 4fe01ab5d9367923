"""Writing validated directory rows: partners by id, reps by e-mail. The caller commits.

Re-import is an update, never a replace:

* a partner is updated in place; its leads, offers, SLA record, pause and leave are not
  touched (they are operational state, not directory data);
* partners or reps missing from the file stay as they are, unless ``deactivate_missing``
  is asked for — then they are marked inactive (never deleted: leads and the audit trail
  refer to them). Appearing in a file again makes them active again;
* chat ids in the file win over stored ones; an empty chat cell keeps the stored id.

The ``check_*`` functions answer the questions a file cannot answer alone (does the
partner exist? does that Slack id belong to somebody else?) before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bot.actors import Actor
from bot.delivery.notices import ToPartner
from bot.directory import fields as f
from bot.directory.departures import DEACTIVATED, MOVED, LeftBehind, rep_left
from bot.directory.email_teasers import resume_on_new_address
from bot.directory.partners import DEFAULTS, PartnerRow
from bot.directory.reps import PARTNER_LANGUAGE, RepRow
from bot.directory.table import Problem
from bot.leads.lifecycle import OWNED
from bot.models import Channel, Lead, Partner, Rep
from bot.plaintext import quoted
from bot.uow import UnitOfWork

Advance = Callable[[], None]


@dataclass
class ImportSummary:
    """Counts for the one-line report: ``20 partners: 18 new, 2 updated``."""

    singular: str
    plural: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    kept_open: int = 0
    """Open leads the deactivated partners still own: they may finish them, or staff recall."""
    left_behind: LeftBehind = field(default_factory=LeftBehind)
    """The open leads of reps who moved to another partner or were deactivated."""
    unstaffed: list[str] = field(default_factory=list)
    """Active partners without an active rep after the import: nobody there can claim."""
    unreached: list[str] = field(default_factory=list)
    """Active partners no enabled chat reaches after a partners import: nobody sees."""

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    def __str__(self) -> str:
        noun = self.singular if self.total == 1 else self.plural
        parts = [
            f"{n} {label}"
            for n, label in (
                (self.new, "new"),
                (self.updated, "updated"),
                (self.unchanged, "unchanged"),
            )
            if n
        ]
        text = f"{self.total} {noun}" + (f": {', '.join(parts)}" if parts else "")
        if self.deactivated:
            text += f"; {self.deactivated} not in the file deactivated"
        if self.kept_open:
            leads = "1 open lead" if self.kept_open == 1 else f"{self.kept_open} open leads"
            text += f" (they keep {leads}; `leadbot leads recall LEAD` gives one to others)"
        if str(self.left_behind):
            text += f"; {self.left_behind}"
        return text


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if anything changed. ``KEEP`` leaves a value alone."""
    changed = False
    for key, value in values.items():
        if value is f.KEEP:
            continue
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


async def check_partners(uow: UnitOfWork, rows: Iterable[PartnerRow]) -> list[Problem]:
    """Ids that differ from a stored partner's id only in case are surely a typo."""
    stored = (await uow.session.scalars(select(Partner.id))).all()
    by_fold = {pid.casefold(): pid for pid in stored}
    problems = []
    for row in rows:
        other = by_fold.get(row.id.casefold())
        if other is not None and other != row.id:
            problems.append(
                Problem(
                    row.line,
                    f"{quoted(row.id)} differs only in case from partner {quoted(other)}",
                    "id",
                )
            )
    return problems


async def import_partners(
    uow: UnitOfWork,
    rows: list[PartnerRow],
    *,
    deactivate_missing: bool = False,
    advance: Advance | None = None,
) -> ImportSummary:
    summary = ImportSummary("partner", "partners")
    now = uow.clock.now()
    existing = {p.id: p for p in (await uow.session.scalars(select(Partner))).all()}
    for row in rows:
        partner = existing.get(row.id)
        if partner is None:
            values = {**DEFAULTS, **row.values}
            values = {k: (DEFAULTS[k] if v is f.KEEP else v) for k, v in values.items()}
            uow.session.add(
                Partner(id=row.id, active=True, created_at=now, updated_at=now, **values)
            )
            summary.new += 1
        else:
            if "email" in row.values:  # a different inbox has not unsubscribed
                await resume_on_new_address(uow, partner, row.values["email"])
            changed = _apply(partner, row.values)
            if not partner.active:
                partner.active = True
                changed = True
            if changed:
                partner.updated_at = now
                summary.updated += 1
            else:
                summary.unchanged += 1
        if advance:
            advance()
    if deactivate_missing:
        listed = {row.id for row in rows}
        gone = [p for pid, p in existing.items() if pid not in listed and p.active]
        for partner in gone:
            partner.active = False
            partner.updated_at = now
        summary.deactivated = len(gone)
        summary.kept_open = await _open_leads_of(uow, [p.id for p in gone])
    await uow.session.flush()
    return summary


async def partners_without_reps(uow: UnitOfWork, *, before_reps: bool = False) -> list[str]:
    """The active partners with no active rep, by id: leads are offered to them (matching
    reads the directory, not who works there) but nobody can press Claim, so each such
    offer only waits for its wave to end. The imports warn about them.

    ``before_reps`` (a partners import): none while no rep is stored at all — the first
    set-up imports the partners, then their reps, as the README says; a warning between
    the two would only be noise."""
    if before_reps and not await uow.session.scalar(select(Rep.id).limit(1)):
        return []
    staffed = select(Rep.id).where(Rep.partner_id == Partner.id, Rep.active.is_(True)).exists()
    rows = await uow.session.scalars(
        select(Partner.id).where(Partner.active.is_(True), ~staffed).order_by(Partner.id)
    )
    return list(rows.all())


async def partners_unreached(uow: UnitOfWork) -> list[str]:
    """The active partners no chat of this configuration reaches, by id: matching reads
    the directory, not the channels, so they are offered leads that nobody there sees
    (no Slack channel, Telegram chat or lead inbox — or one whose platform is off, or an
    inbox that unsubscribed). The partners import warns about them.

    None while no chat is enabled at all (a configuration for imports only): every
    partner would be named, which says nothing about any of them."""
    if not uow.chats:
        return []
    query = select(Partner.id).where(Partner.active.is_(True)).order_by(Partner.id)
    partner_ids = list((await uow.session.scalars(query)).all())
    await uow.outbox.load_partners(partner_ids)
    return [pid for pid in partner_ids if not await uow.outbox.addresses(ToPartner(pid))]


async def _open_leads_of(uow: UnitOfWork, partner_ids: list[str]) -> int:
    """How many open leads ``partner_ids`` own: a deactivated partner keeps them (its reps
    may finish what they started), which the operator should hear about, not find later."""
    if not partner_ids:
        return 0
    count = await uow.session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.owner_partner_id.in_(partner_ids), Lead.status.in_(OWNED))
    )
    return int(count or 0)


_CHAT_COLUMNS = ("slack_user_id", "telegram_user_id")


async def check_reps(uow: UnitOfWork, rows: list[RepRow]) -> list[Problem]:
    """Unknown partners, and chat ids that belong to a rep the file does not free them from."""
    problems: list[Problem] = []
    partner_ids = set((await uow.session.scalars(select(Partner.id))).all())
    reps = (await uow.session.scalars(select(Rep))).all()
    by_email = {row.email: row for row in rows}
    owners = {
        (column, getattr(rep, column)): rep
        for rep in reps
        for column in _CHAT_COLUMNS
        if getattr(rep, column) is not None
    }
    for row in rows:
        if row.partner_id not in partner_ids:
            problems.append(
                Problem(
                    row.line,
                    f"unknown partner {quoted(row.partner_id)} (import it with "
                    f"'leadbot partners import' first)",
                    "partner_id",
                )
            )
        for column in _CHAT_COLUMNS:
            value = row.values.get(column, f.KEEP)
            if value is None or value is f.KEEP:
                continue
            owner = owners.get((column, value))
            if owner is None or owner.email.lower() == row.email:
                continue
            owner_row = by_email.get(owner.email.lower())
            if owner_row is not None and owner_row.values.get(column, f.KEEP) is not f.KEEP:
                continue  # the file moves the id away from its current owner
            problems.append(
                Problem(row.line, f"{value} already belongs to rep {owner.email}", column)
            )
    return problems


async def import_reps(
    uow: UnitOfWork,
    rows: list[RepRow],
    *,
    deactivate_missing: bool = False,
    advance: Advance | None = None,
) -> ImportSummary:
    summary = ImportSummary("rep", "reps")
    now = uow.clock.now()
    partners = {p.id: p for p in (await uow.session.scalars(select(Partner))).all()}
    existing = {r.email.lower(): r for r in (await uow.session.scalars(select(Rep))).all()}
    was = {email: (rep.partner_id, rep.active) for email, rep in existing.items()}

    # Chat ids must stay unique at every flush: free the ones that move before reassigning.
    freed = False
    for row in rows:
        rep = existing.get(row.email)
        for column in _CHAT_COLUMNS:
            value = row.values.get(column, f.KEEP)
            if rep is not None and value is not f.KEEP and getattr(rep, column) != value:
                setattr(rep, column, None)
                freed = True
    if freed:
        await uow.session.flush()

    for row in rows:
        values = dict(row.values)
        if "language" in values and values["language"] is PARTNER_LANGUAGE:
            values["language"] = partners[row.partner_id].language
        rep = existing.get(row.email)
        if rep is None:
            values.setdefault("language", partners[row.partner_id].language)
            values = {k: (None if v is f.KEEP else v) for k, v in values.items()}
            rep = Rep(email=row.email, active=True, created_at=now, **values)
            uow.session.add(rep)
            existing[row.email] = rep
            summary.new += 1
        else:
            changed = _apply(rep, values)
            if not rep.active:
                rep.active = True
                changed = True
            summary.updated += changed
            summary.unchanged += not changed
        if advance:
            advance()
    if deactivate_missing:
        listed = {row.email for row in rows}
        for email, rep in existing.items():
            if email not in listed and rep.active:
                rep.active = False
                summary.deactivated += 1
    await uow.session.flush()
    actor = Actor.tool(Channel.CLI, "cli")
    for email, (partner_id, active) in was.items():
        rep = existing[email]
        if active and (rep.partner_id != partner_id or not rep.active):
            reason = MOVED if rep.partner_id != partner_id else DEACTIVATED
            summary.left_behind.add(await rep_left(uow, rep, partner_id, reason, actor))
    return summary
