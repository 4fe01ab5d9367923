"""Requests of the manufacturer's staff and partner managers, for any chat.

:class:`bot.chat.interactions.Interactions` routes these commands here: assign, pause and
resume (staff; a manager for their own partner), release / reoffer / recall / erase,
the cockpit sign-in link and the matching explanation. Each answers with data
(:mod:`bot.chat.results`) and turns a refused request into a :func:`failure` reply.
"""

from __future__ import annotations

import logging
from datetime import date

from bot.actors import Actor
from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import Explanation, Reply
from bot.cockpit.links import create_login_link
from bot.config import ConfigError, TombstoneKeyMismatch
from bot.crm.tombstones import HEALTH_DOWN, HEALTH_PART
from bot.directory.availability import pause, resume
from bot.errors import NotFound, ServiceError
from bot.explain.service import explain_stored_lead
from bot.explain.text import render_partner, render_summary
from bot.explain.words import check_text
from bot.health import State
from bot.leads import staff as staff_services
from bot.leads.assign import assign
from bot.leads.lifecycle import IllegalTransition
from bot.models import Channel, LeadStatus
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def staff_actor(who: Identity) -> Actor:
    """``who`` acting as the manufacturer's staff (also a rep who is on the staff list)."""
    return Actor.staff(Channel(who.platform.value), who.user_id, who.name)


def failure(exc: ServiceError | IllegalTransition, lead_id: int | None = None) -> Reply:
    """A refused request in the asker's words: the error's i18n key, else its message."""
    if exc.key is not None:
        return Reply(exc.key, ok=False, params=dict(exc.params), lead_id=lead_id)
    return Reply("reply.error", ok=False, params={"message": str(exc)}, lead_id=lead_id)


async def partner_operation(
    runtime: Runtime, who: Identity, command: c.Assign | c.Pause | c.Resume | c.Away | c.Back
) -> Reply:
    """Assign a lead; pause or resume a partner (staff: any; a manager: their own)."""
    actor = who.actor() if not who.is_staff else staff_actor(who)
    try:
        async with runtime.uow() as uow:
            match command:
                case c.Assign(lead_id, partner_id):
                    done = await assign(uow, lead_id, partner_id, actor)
                    key = "reply.assigned_warn" if done.warnings else "reply.assigned"
                    params = {
                        "lead_id": lead_id,
                        "partner": done.partner_name,
                        "warnings": "; ".join(check_text(ch, who.language) for ch in done.failed),
                    }
                    return Reply(key, params=params, lead_id=lead_id)
                case c.Pause(partner_id, until, reason):
                    paused = await pause(uow, partner_id, actor, until, reason)
                    partner = paused.partner
                    key = _said("reply.paused", until, paused.changed)
                case c.Away(until, reason):
                    assert who.partner_id is not None
                    paused = await pause(uow, who.partner_id, actor, until, reason)
                    partner = paused.partner
                    key = _said("reply.away", until, paused.changed)
                case c.Resume(partner_id):
                    resumed = await resume(uow, partner_id, actor)
                    partner, until = resumed.partner, None
                    key = "reply.resumed" if resumed.was_paused else "reply.not_paused"
                case c.Back():
                    assert who.partner_id is not None
                    resumed = await resume(uow, who.partner_id, actor)
                    partner, until = resumed.partner, None
                    key = "reply.back" if resumed.was_paused else "reply.not_away"
    except ServiceError as exc:
        return failure(exc)
    return Reply(key, params={"partner": partner.name, "until": until})


def _said(key: str, until: date | None, changed: bool) -> str:
    """``reply.paused`` → ``reply.paused_until`` with an end, ``reply.already_paused…`` when
    the partner was paused in just this way before (nothing changed, no feed line)."""
    if not changed:
        key = key.replace("reply.", "reply.already_")
    return f"{key}_until" if until else key


async def cockpit_link(runtime: Runtime, who: Identity) -> Reply:
    """A one-time sign-in link to the web cockpit, for staff (also a rep who is staff)."""
    try:
        async with runtime.uow() as uow:
            url = await create_login_link(uow, staff_actor(who))
    except ConfigError:
        return Reply("reply.cockpit_unavailable", ok=False)
    minutes = runtime.settings.cockpit.link_minutes
    return Reply("reply.cockpit_link", params={"url": url, "minutes": minutes})


async def staff_action(
    runtime: Runtime, who: Identity, command: c.Release | c.Reoffer | c.Recall | c.Erase
) -> Reply:
    """release / reoffer / recall / erase (staff; :meth:`Interactions.execute` checked that)."""
    actor, lead_id = who.actor(), command.lead_id
    try:
        async with runtime.uow() as uow:
            match command:
                case c.Release(_, consent):
                    outcome = await staff_services.release(uow, lead_id, actor, consent=consent)
                    key, status = "reply.released", outcome.status.value
                case c.Reoffer():
                    key = "reply.reoffered"
                    status = (await staff_services.reoffer(uow, lead_id, actor)).status.value
                    if status == LeadStatus.UNMATCHED.value:
                        return Reply("reply.no_partner", ok=False, params={"lead_id": lead_id})
                case c.Recall():
                    key = "reply.recalled"
                    status = (await staff_services.staff_recall(uow, lead_id, actor)).status.value
                case c.Erase():
                    # Erased before: the request is fulfilled all the same (as in the CLI
                    # and the CRM API), so it is a success that says nothing was left.
                    erased_now = await staff_services.erase(uow, lead_id, actor)
                    key = "reply.erased" if erased_now else "reply.erased_before"
                    return Reply(key, params={"lead_id": lead_id}, lead_id=lead_id)
    except (ServiceError, IllegalTransition) as exc:
        return failure(exc, lead_id)
    except TombstoneKeyMismatch as exc:  # only erase looks at the tombstones
        log.error("erasing lead %s refused: %s", lead_id, exc)
        runtime.health.report(HEALTH_PART, State.DOWN, HEALTH_DOWN)  # /healthz shows it
        return Reply("reply.erase_key_mismatch", ok=False, params={"lead_id": lead_id})
    return Reply(key, params={"lead_id": lead_id, "status": status}, lead_id=lead_id)


async def explanation(
    runtime: Runtime,
    who: Identity,
    lead_id: int,
    partner_id: str | None = None,
    limit: int = 0,
) -> Explanation | Reply:
    """Why each partner was or was not offered ``lead_id``, as plain-text lines (staff),
    in the asker's language (staff: ``[staff] language``).

    The lines are unescaped plain text (monospace columns); each platform escapes and
    wraps them (console as is, Slack and Telegram in a code block).
    """
    if not who.is_staff:
        return Reply("reply.staff_only", ok=False)
    try:
        async with runtime.uow() as uow:
            data = await explain_stored_lead(uow, lead_id, partner_id)
    except NotFound as exc:
        return failure(exc, lead_id)
    if partner_id is not None:
        item = data.explanation.partner(partner_id)
        assert item is not None  # explain_stored_lead raised NotFound otherwise
        return Explanation(lead_id, render_partner(data, item, who.language))
    return Explanation(lead_id, render_summary(data, limit, who.language))
