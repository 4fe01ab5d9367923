"""Unit of work: one database transaction, committed explicitly.

Services receive a unit of work, change state and write the notices the change causes into
the outbox through the same session (``uow.outbox``). Nothing is written unless
``commit()`` is called, so a service that raises leaves no partial state. After a commit
that queued notices, the outbox sender is woken — best effort: a wake-up that fails is
logged and forgotten (the sender also polls), it never turns a commit into an error.
While a platform delivery is being applied, the first commit also marks it seen
(:mod:`bot.seen`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import seen
from bot.clock import Clock
from bot.config import Settings
from bot.crm.changes import LeadChanges
from bot.crm.outbox import WebhookOutbox
from bot.db import READ_ONLY
from bot.delivery.outbox import OutboxWriter
from bot.models.enums import Platform
from bot.platform import ChatPlatform
from bot.sessions import close_bounded
from bot.writegate import Turn, WriteGate

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


async def _notify(hook: AfterCommit) -> None:
    """Run an after-commit hook; the commit has happened, so nothing may undo its success."""
    try:
        await hook()
    except Exception as exc:
        log.warning("waking a sender after a commit failed (%s); it polls", type(exc).__name__)


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        chats: Mapping[Platform, ChatPlatform],
        after_commit: AfterCommit | None = None,
        cache: dict[str, Any] | None = None,
        after_webhooks: AfterCommit | None = None,
        gate: WriteGate | None = None,
        turn: Turn | None = None,
    ) -> None:
        self._sessions = sessions
        self._gate = gate if turn is not None else None
        self._turn = turn
        self._holds_gate = False
        """A turn at the gate, taken before the session's connection and given back at the
        commit or the end (bot/writegate.py)."""
        self.sessions = sessions
        """More sessions of the same database, for read-only work that runs side by side
        (the reports); they never see this unit of work's uncommitted changes."""
        self.settings = settings
        self.clock = clock
        self.chats = chats
        self._after_commit = after_commit
        self._after_webhooks = after_webhooks
        self.cache: dict[str, Any] = {} if cache is None else cache
        self._session: AsyncSession | None = None
        self._outbox: OutboxWriter | None = None
        self._changes: LeadChanges | None = None
        self._webhooks: WebhookOutbox | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    @property
    def outbox(self) -> OutboxWriter:
        """Where this transaction's notices go (rows in the same transaction)."""
        if self._outbox is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._outbox

    @property
    def changes(self) -> LeadChanges:
        """The leads this transaction changed (numbered at the commit)."""
        if self._changes is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._changes

    @property
    def webhooks(self) -> WebhookOutbox:
        """The lead events this transaction sends to the configured webhooks."""
        if self._webhooks is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._webhooks

    async def __aenter__(self) -> UnitOfWork:
        if self._gate is not None and self._turn is not None:
            await self._gate.acquire(self._turn)
            self._holds_gate = True
        try:
            self._session = self._sessions()
            self._session.sync_session.info["cache"] = self.cache
            self._outbox = OutboxWriter(self._session, self.chats, self.settings, self.clock)
            self._changes = LeadChanges(self._session)
            self._webhooks = WebhookOutbox(self.settings.webhooks)
        except BaseException:
            self._let_gate_go()
            raise
        return self

    def _let_gate_go(self) -> None:
        if self._holds_gate and self._gate is not None:
            self._holds_gate = False
            self._gate.release()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back anything uncommitted without expiring loaded objects, so values
        # read inside the unit of work stay readable after it (as detached objects).
        session = self.session
        self._session = None
        try:
            await close_bounded(session)
        finally:
            self._let_gate_go()

    async def read_only(self) -> None:
        """Make this a read-only transaction (before its first query): on SQLite it begins
        without the write lock, so readers run beside writers and keep no claim waiting."""
        await self.session.connection(execution_options={READ_ONLY: True})

    async def commit(self) -> None:
        now = self.clock.now()
        await self.outbox.write_held()
        await self.changes.stamp(now)
        await self.webhooks.write(self.session, now)
        delivery = seen.pending_mark()  # a platform delivery being applied: seen with its work
        if delivery is not None and not await seen.mark_in(self.session, delivery, now):
            await self.rollback()  # another process applied it meanwhile: its work stands
            raise seen.AlreadyApplied(delivery)
        await self.session.commit()
        self._let_gate_go()  # the database's lock is free: the wake-ups below need no turn
        if delivery is not None:
            seen.marked(delivery)
        if self.outbox.written and self._after_commit is not None:
            self.outbox.written = False
            await _notify(self._after_commit)
        if self.webhooks.written:
            self.webhooks.written = False
            if self._after_webhooks is not None:
                await _notify(self._after_webhooks)

    async def rollback(self) -> None:
        await self.session.rollback()
        self.outbox.forget()
        self.changes.forget()
        self.webhooks.forget()
        self.webhooks.written = False
