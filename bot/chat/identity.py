"""Who is talking to the bot: a rep, staff, both, or nobody we know — on any platform.

A platform handler turns its user id into an :class:`Identity` with :func:`identify`
(the platform says which rep a user is and who is staff, see
:class:`bot.platform.ChatPlatform`); everything after that is platform-neutral.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import case, or_, select

from bot.actors import Actor
from bot.batching import Batches, per_process
from bot.config import Settings
from bot.handlers import registry
from bot.models import Channel, Platform, Rep
from bot.runtime import Runtime
from bot.sessions import plain_session

LANGUAGES = ("de", "en")


MANAGER_ROLE = "manager"
"""The reps' role (reps CSV, column ``role``) that may act for their partner."""


@dataclass(frozen=True)
class Identity:
    """Who is talking to the bot on a platform: a rep, staff, both, or nobody we know."""

    platform: Platform
    user_id: str
    rep_id: int | None = None
    partner_id: str | None = None
    name: str | None = None
    language: str = "de"
    is_staff: bool = False
    role: str | None = None  # the rep's role at their partner ("sales", "manager", ...)

    @property
    def known(self) -> bool:
        return self.rep_id is not None or self.is_staff

    @property
    def is_rep(self) -> bool:
        return self.rep_id is not None

    @property
    def is_manager(self) -> bool:
        """A rep who manages their partner's account (``away``/``back``, named so by ``whoami``)."""
        return self.rep_id is not None and self.role == MANAGER_ROLE

    def actor(self) -> Actor:
        channel = Channel(self.platform.value)
        if self.rep_id is not None and self.partner_id is not None:
            return Actor.rep(channel, self.rep_id, self.partner_id, self.name)
        return Actor.staff(channel, self.user_id, self.name)

    def as_rep(self) -> Identity:
        """The same person seen only as their partner's rep (staff rights set aside)."""
        return dataclasses.replace(self, is_staff=False)


LOOKUPS = "chat.identity.lookups"


async def _reps_of(
    runtime: Runtime, users: list[tuple[Platform, str]]
) -> dict[tuple[Platform, str], Rep]:
    """The reps linked to many platform users, in one read-only query (every press asks
    who pressed; :mod:`bot.batching` gathers the presses arriving together). Each row
    says which user it was found for: a ``CASE`` over the platforms' conditions. A row
    can match two users' conditions (the same e-mail written twice) but names only the
    first, so a user left without a rep is asked again alone."""
    conditions = [registry.get(platform).user(user_id) for platform, user_id in users]
    wanted = [(n, c) for n, c in enumerate(conditions) if c is not None]
    if not wanted:
        return {}
    which = case(*[(condition, n) for n, condition in wanted]).label("which")
    # Only a read: on SQLite it must not queue for the write lock.
    async with plain_session(runtime.sessions, read_only=True) as session:
        rows = await session.execute(select(Rep, which).where(or_(*(c for _, c in wanted))))
        found = {users[n]: rep for rep, n in rows}
        for n, condition in wanted:
            if users[n] not in found and (
                rep := await session.scalar(select(Rep).where(condition))
            ):
                found[users[n]] = rep
    return found


def rep_identity(platform: Platform, user_id: str, rep: Rep, is_staff: bool = False) -> Identity:
    return Identity(
        platform=platform,
        user_id=user_id,
        rep_id=rep.id,
        partner_id=rep.partner_id,
        name=rep.name,
        language=rep.language if rep.language in LANGUAGES else "de",
        is_staff=is_staff,
        role=rep.role,
    )


def staff_identity(
    settings: Settings, platform: Platform, user_id: str, name: str | None = None
) -> Identity:
    """A staff member who is no rep: they read and are answered in ``[staff] language``.

    Every platform's staff identity comes from here (through :func:`identify`, or directly
    for the console's own ``staff``), so what the core says to them in their language — an
    explanation, an assignment's warnings — is in the same language as the rest."""
    return Identity(platform, user_id, name=name, language=settings.staff.language, is_staff=True)


async def identify(runtime: Runtime, platform: Platform, user_id: str) -> Identity:
    """Look up a platform user: a linked rep (active) and/or a configured staff member."""
    chat = registry.get(platform)
    settings = runtime.settings
    is_staff = chat.is_staff(user_id, settings)
    rep = None
    if chat.user(user_id) is not None:
        lookups: Batches[tuple[Platform, str], Rep] = per_process(
            runtime.cache, LOOKUPS, lambda: Batches(lambda keys: _reps_of(runtime, keys))
        )
        rep = await lookups.get((platform, user_id))
    if rep is not None and rep.active:
        return rep_identity(platform, user_id, rep, is_staff)
    if is_staff:
        return staff_identity(settings, platform, user_id)
    return Identity(platform, user_id, language=settings.staff.language)
