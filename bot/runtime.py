"""The running bot's shared parts: settings, database, coordination, clock.

Every entry point (CLI command, ASGI app, console, tests) builds one :class:`Runtime` and
hands it to services and handlers, so there are no module-level globals to reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.coordination import Coordination, create_coordination
from bot.db import create_engine_async, session_factory
from bot.handlers import registry
from bot.health import HealthBoard
from bot.intake.batches import SQLITE_SLOTS, IntakeBatches, slots_for
from bot.models.enums import Platform
from bot.platform import ChatPlatform
from bot.reports.format import use_timezone
from bot.schemawatch import SchemaWatch
from bot.seen import SeenDeliveries
from bot.uow import UnitOfWork
from bot.writegate import Turn, WriteGate

OUTBOX_TOPIC = "outbox"
WEBHOOK_TOPIC = "webhooks"


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    coordination: Coordination
    clock: Clock = field(default_factory=SystemClock)
    cache: dict[str, Any] = field(default_factory=dict)
    """Process-wide caches of derived data (e.g. the partner directory snapshot)."""
    health: HealthBoard = field(default_factory=HealthBoard)
    """What this process's parts report about themselves (shown by ``/healthz``)."""
    seen: SeenDeliveries = field(default_factory=SeenDeliveries)
    """Platform deliveries applied once, marked seen with their work (``bot/seen.py``)."""
    intake: IntakeBatches[Any, Any] = field(default_factory=lambda: IntakeBatches(SQLITE_SLOTS))
    """API leads queued and stored together (:mod:`bot.intake.batches`)."""
    write_gate: WriteGate | None = None
    """On SQLite: this process's busiest writers one at a time (:mod:`bot.writegate`)."""

    @classmethod
    def create(
        cls, settings: Settings, *, clock: Clock | None = None, pooled: bool = True
    ) -> Runtime:
        engine = create_engine_async(settings.database, pooled=pooled)
        clock = clock or SystemClock()
        use_timezone(settings.distribution.timezone)  # how times are shown to people
        redis = settings.redis
        sessions = session_factory(engine)
        health = HealthBoard(clock)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            coordination=create_coordination(
                redis.url,
                redis.key_prefix,
                clock,
                sessions=sessions,
                health=health,
                max_connections=redis.max_connections,
            ),
            clock=clock,
            health=health,
            intake=IntakeBatches(slots_for(settings.database)),
            write_gate=WriteGate() if engine.dialect.name == "sqlite" else None,
        )

    def uow(self, turn: Turn | None = None) -> UnitOfWork:
        """A unit of work; ``turn``: a writer that waits at the :attr:`write_gate` first."""
        return UnitOfWork(
            self.sessions,
            self.settings,
            self.clock,
            self.chats,
            after_commit=self.wake_outbox,
            cache=self.cache,
            after_webhooks=self.wake_webhooks,
            gate=self.write_gate,
            turn=turn,
        )

    async def wake_outbox(self) -> None:
        await self.coordination.wake(OUTBOX_TOPIC)

    async def wake_webhooks(self) -> None:
        await self.coordination.wake(WEBHOOK_TOPIC)

    @cached_property
    def chats(self) -> Mapping[Platform, ChatPlatform]:
        """The chat platforms that receive notices: those enabled in the settings."""
        return registry.enabled(self.settings)

    @cached_property
    def schema(self) -> SchemaWatch:
        """Whether the database fell behind the code while this process runs; the
        background loops wait for ``leadbot migrate`` through it (:mod:`bot.schemawatch`)."""
        return SchemaWatch(self.engine, self.health)

    @property
    def platforms(self) -> frozenset[Platform]:
        return frozenset(self.chats)

    async def close(self) -> None:
        await self.coordination.close()
        await self.engine.dispose()
