"""One-time sign-in links for the cockpit: made for staff, valid for minutes, usable once.

A link carries a random token (256 bits); the database keeps only its SHA-256, when it
expires and when it was used. Redeeming is one conditional UPDATE (``… WHERE used_at IS
NULL AND expires_at > now``), so a link works once even when two browsers open it at the
same moment. The CLI (``leadbot cockpit link``) and the staff chat commands call
:func:`create_login_link`; it refuses anyone who is not staff.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select, update

from bot.actors import Actor
from bot.cockpit.session import require_secret
from bot.errors import NotAllowed
from bot.models import ActorKind, CockpitLogin
from bot.uow import UnitOfWork

LOGIN_PATH = "/cockpit/login"
TOKEN_BYTES = 32


class NotStaff(NotAllowed):
    """Only the manufacturer's staff may open the cockpit."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_label(actor: Actor) -> str:
    """Who the session belongs to, for the page header and the log: ``slack:U123 (Anna)``."""
    who = f"{actor.channel.value}:{actor.id}" if actor.id else actor.channel.value
    return f"{who} ({actor.name})" if actor.name and actor.name != actor.id else who


def person_of(label: str) -> str:
    """The name in a session's :func:`actor_label` (``slack:U123 (Anna)`` → ``Anna``), for
    the page header: staff know themselves by name, not by their chat id. A label without
    a name (``cli``) is shown whole."""
    who, sep, rest = label.partition(" (")
    return rest[:-1] if sep and rest.endswith(")") and rest[:-1] else who


async def create_login_link(uow: UnitOfWork, actor: Actor) -> str:
    """A fresh one-time link ``<public base>/cockpit/login?token=…`` for ``actor`` (committed).

    Raises :class:`NotStaff` for reps and the system, and :class:`bot.config.ConfigError`
    naming ``LEADBOT_COCKPIT__SECRET`` when sessions cannot be signed on this installation.
    """
    if actor.kind is not ActorKind.STAFF:
        raise NotStaff("the cockpit is for the manufacturer's staff only")
    require_secret(uow.settings)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = uow.clock.now()
    uow.session.add(
        CockpitLogin(
            token_hash=token_hash(token),
            actor=actor_label(actor)[:200],
            created_at=now,
            expires_at=now + timedelta(minutes=uow.settings.cockpit.link_minutes),
        )
    )
    await uow.commit()
    return f"{uow.settings.server.base_url()}{LOGIN_PATH}?token={quote(token)}"


async def usable(uow: UnitOfWork, token: str) -> bool:
    """Whether ``token`` would sign in now (known, unused, unexpired), without using it:
    the sign-in page says at once that a link is spent instead of offering a button that
    can only fail."""
    if not token or len(token) > 200:
        return False
    found = await uow.session.scalar(
        select(CockpitLogin.token_hash).where(
            CockpitLogin.token_hash == token_hash(token),
            CockpitLogin.used_at.is_(None),
            CockpitLogin.expires_at > uow.clock.now(),
        )
    )
    return found is not None


async def session_live(uow: UnitOfWork, sign_in: str) -> bool:
    """Whether the session that ``sign_in`` started was not ended (signed out, or all ended
    by ``leadbot cockpit end-sessions``): checked on every page, so a copied cookie dies
    with the session it belongs to."""
    found = await uow.session.scalar(
        select(CockpitLogin.token_hash).where(
            CockpitLogin.token_hash == sign_in,
            CockpitLogin.used_at.is_not(None),
            CockpitLogin.ended_at.is_(None),
        )
    )
    return found is not None


async def end_session(uow: UnitOfWork, sign_in: str) -> None:
    """*Sign out*: the session ends for every copy of its cookie (committed)."""
    await uow.session.execute(
        update(CockpitLogin)
        .where(CockpitLogin.token_hash == sign_in, CockpitLogin.ended_at.is_(None))
        .values(ended_at=uow.clock.now())
        .execution_options(synchronize_session=False)
    )
    await uow.commit()


async def end_all_sessions(uow: UnitOfWork) -> int:
    """End every session that may still run (a lost laptop, someone who left); how many
    (committed). Everyone signs in again with a new link."""
    now = uow.clock.now()
    oldest = now - timedelta(hours=uow.settings.cockpit.session_hours)
    ended = await uow.session.execute(
        update(CockpitLogin)
        .where(
            CockpitLogin.used_at.is_not(None),
            CockpitLogin.used_at > oldest,
            CockpitLogin.ended_at.is_(None),
        )
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await uow.commit()
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


async def redeem(uow: UnitOfWork, token: str) -> str | None:
    """The actor label of a valid, unused, unexpired link — and it is used up (committed).

    None for an unknown, used, expired or malformed token (the caller shows why a new link
    is needed, without saying which of these it was).
    """
    if not token or len(token) > 200:
        return None
    now = uow.clock.now()
    actor = await uow.session.scalar(
        update(CockpitLogin)
        .where(
            CockpitLogin.token_hash == token_hash(token),
            CockpitLogin.used_at.is_(None),
            CockpitLogin.expires_at > now,
        )
        .values(used_at=now)
        .returning(CockpitLogin.actor)
        .execution_options(synchronize_session=False)
    )
    await uow.commit()
    return actor
