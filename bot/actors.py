"""Who did something, and from where — recorded in every audit event."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.enums import ActorKind, Channel


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    channel: Channel
    id: str | None = None
    name: str | None = None
    rep_id: int | None = None
    partner_id: str | None = None

    @classmethod
    def system(cls, channel: Channel = Channel.SCHEDULER) -> Actor:
        return cls(ActorKind.SYSTEM, channel, name="leadbot")

    @classmethod
    def staff(cls, channel: Channel, user_id: str | None = None, name: str | None = None) -> Actor:
        return cls(ActorKind.STAFF, channel, id=user_id, name=name or "staff")

    @classmethod
    def rep(cls, channel: Channel, rep_id: int, partner_id: str, name: str | None = None) -> Actor:
        return cls(
            ActorKind.REP, channel, id=str(rep_id), name=name, rep_id=rep_id, partner_id=partner_id
        )

    @property
    def label(self) -> str:
        return self.name or self.id or self.kind.value
