"""Who may do what — decided here, once, for every chat and every way in.

A typed command (:mod:`bot.chat.commands`) is checked against the asker's
:class:`~bot.chat.identity.Identity` before it runs, whether it came from a typed line, a
button or an e-mail link. Rules that depend on the lead (only the owning partner's reps
report on it) are the services' business and are checked there, in the transaction.
"""

from __future__ import annotations

from enum import StrEnum

from bot.chat import commands as c
from bot.chat.grammar import VERBS
from bot.chat.identity import Identity
from bot.chat.results import Reply


class Who(StrEnum):
    ANYONE = "anyone"
    KNOWN = "known"  # a linked rep or staff
    REP = "rep"  # a linked rep (acts for their partner)
    MANAGER = "manager"  # a rep with role "manager" (acts for their own partner only)
    STAFF = "staff"  # the manufacturer's staff


RULES: dict[type, Who] = {
    c.Help: Who.ANYONE,
    c.WhoAmI: Who.ANYONE,
    c.Teasers: Who.REP,
    c.Claim: Who.REP,
    c.Decline: Who.REP,
    c.ListLeads: Who.KNOWN,
    c.ShowLead: Who.KNOWN,
    c.Progress: Who.KNOWN,
    c.TakeOver: Who.REP,
    c.Release: Who.STAFF,
    c.Reoffer: Who.STAFF,
    c.Recall: Who.STAFF,
    c.Erase: Who.STAFF,
    c.Assign: Who.STAFF,
    c.Pause: Who.STAFF,
    c.Resume: Who.STAFF,
    c.Away: Who.MANAGER,
    c.Back: Who.MANAGER,
    c.Explain: Who.STAFF,
    c.Pipeline: Who.STAFF,
    c.CockpitLink: Who.STAFF,
}


def may(who: Identity, kind: type) -> bool:
    need = RULES[kind]
    if need is Who.STAFF:
        return who.is_staff
    if need is Who.REP:
        return who.rep_id is not None
    if need is Who.MANAGER:
        return who.is_manager
    if need is Who.KNOWN:
        return who.known
    return True


def refusal(who: Identity, command: c.Command) -> Reply | None:
    """Why ``who`` may not run ``command``; None when they may."""
    if may(who, type(command)):
        return None
    need = RULES[type(command)]
    if need is Who.STAFF:
        return Reply("reply.staff_only", ok=False)
    if need is Who.MANAGER and who.rep_id is not None:
        return Reply("reply.managers_only", ok=False)
    if isinstance(command, c.TakeOver) and who.is_staff:
        # Staff move leads between partners (assign, recall), not inside one.
        return Reply("takeover.staff", ok=False, params={"lead_id": command.lead_id})
    if isinstance(command, c.Claim | c.Decline):
        return Reply("claim.unknown_user", ok=False)
    return Reply("reply.unknown_user", ok=False)


def verbs_for(who: Identity) -> tuple[str, ...]:
    """The verbs ``who`` may use, in the grammar's order (for help texts)."""
    return tuple(verb.name for verb in VERBS if may(who, verb.kind))
