"""Who did something, and from where — recorded in every audit event."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.enums import ActorKind, Channel

STAFF_NAME = "staff"
"""The recorded name of staff known by no name (events, the default pause reason)."""


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    channel: Channel
    id: str | None = None
    name: str | None = None
    rep_id: int | None = None
    partner_id: str | None = None
    person: str | None = None
    """The acting person's own name when it is known (a rep; a staff member known by name);
    None for staff known only by a platform id and for the tools staff use (the CLI, the
    API). What people read says who acted by this name, else "staff" in their language."""

    @classmethod
    def system(cls, channel: Channel = Channel.SCHEDULER) -> Actor:
        return cls(ActorKind.SYSTEM, channel, name="leadbot")

    @classmethod
    def staff(cls, channel: Channel, user_id: str | None = None, name: str | None = None) -> Actor:
        """A staff member on a chat platform; ``name`` when their own name is known."""
        return cls(ActorKind.STAFF, channel, id=user_id, name=name or STAFF_NAME, person=name)

    @classmethod
    def tool(cls, channel: Channel, name: str) -> Actor:
        """Staff acting through a tool that knows no person (``cli``, ``api``): recorded
        under the tool's name, said as "staff" where people read it."""
        return cls(ActorKind.STAFF, channel, name=name)

    @classmethod
    def rep(cls, channel: Channel, rep_id: int, partner_id: str, name: str | None = None) -> Actor:
        return cls(
            ActorKind.REP,
            channel,
            id=str(rep_id),
            name=name,
            rep_id=rep_id,
            partner_id=partner_id,
            person=name,
        )

    @property
    def label(self) -> str:
        return self.name or self.id or self.kind.value

    @property
    def shown(self) -> str | None:
        """Who acted, for a notice people read (the ``by`` of a staff-feed line): the
        person's name, leadbot itself, a rep's id; None for staff known by no name — the
        reader's words for "staff" are put in when the notice is rendered."""
        if self.kind is ActorKind.STAFF:
            return self.person
        return self.person or self.label
