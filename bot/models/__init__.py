"""Typed SQLAlchemy 2 models. Import from here; the modules group tables by concern."""

from bot.models.base import Base, utcnow
from bot.models.cockpit import CampaignCost, CockpitLogin
from bot.models.content import ContentDelivery, ContentItem, NewsFeed, NewsMatch
from bot.models.crm import (
    ChangeCounter,
    LeadTombstone,
    TombstoneKey,
    WebhookDelivery,
    WebhookStatus,
)
from bot.models.delivery import ChatMessage, Offer, OutboxMessage, Timer
from bot.models.directory import LinkCode, Partner, Rep
from bot.models.enums import (
    ActorKind,
    Channel,
    HoldReason,
    LeadStatus,
    MessageKind,
    OfferStatus,
    OutboxStatus,
    Platform,
    TimerKind,
)
from bot.models.lead import Lead, LeadEvent, LeadExclusion, LeadPersonalData
from bot.models.links import UsedLink
from bot.models.resilience import Lease, PendingPress, SeenDelivery

__all__ = [
    "ActorKind",
    "Base",
    "CampaignCost",
    "ChangeCounter",
    "Channel",
    "ChatMessage",
    "CockpitLogin",
    "ContentDelivery",
    "ContentItem",
    "HoldReason",
    "Lead",
    "LeadEvent",
    "LeadExclusion",
    "LeadPersonalData",
    "LeadStatus",
    "LeadTombstone",
    "Lease",
    "LinkCode",
    "MessageKind",
    "NewsFeed",
    "NewsMatch",
    "Offer",
    "OfferStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Partner",
    "PendingPress",
    "Platform",
    "Rep",
    "SeenDelivery",
    "Timer",
    "TimerKind",
    "TombstoneKey",
    "UsedLink",
    "WebhookDelivery",
    "WebhookStatus",
    "utcnow",
]
