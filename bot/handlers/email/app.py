"""What e-mail adds to ``leadbot serve``: the SMTP transport, the ``/email/act`` and
``/email/unsubscribe`` routes and a job that forgets expired one-time links. Named as the platform's ``server_module``."""

from __future__ import annotations

import logging

from bot.config import ConfigError, EmailSettings
from bot.handlers.email.act import act_router, outage_page
from bot.handlers.email.links import ACT_PATH, UNSUBSCRIBE_PATH
from bot.handlers.email.nonces import purge_job
from bot.handlers.email.transport import EmailTransport
from bot.handlers.email.unsubscribe import unsubscribe_router
from bot.models import Platform
from bot.runtime import Runtime
from bot.supervisor import named
from bot.web.parts import PlatformParts

log = logging.getLogger("bot.handlers.email")

MIN_SECRET_CHARS = 32


def _secret(settings: EmailSettings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value().strip() if value is not None else ""


def check_settings(settings: EmailSettings) -> None:
    """Refuse to start without what sending and signing need, naming the setting."""
    if not settings.from_address:
        raise ConfigError(
            "[email] enabled = true needs a sender: set [email] from_address "
            "(or LEADBOT_EMAIL__FROM_ADDRESS); or set LEADBOT_EMAIL__ENABLED=false"
        )
    secret = _secret(settings, "link_secret")
    if len(secret) < MIN_SECRET_CHARS:
        problem = "needs" if not secret else f"needs at least {MIN_SECRET_CHARS} characters in"
        raise ConfigError(
            f"[email] enabled = true {problem} LEADBOT_EMAIL__LINK_SECRET in the environment "
            "(it signs the one-click links; e.g. `openssl rand -hex 32`, see docs/email.md)"
        )
    if settings.username and not _secret(settings, "password"):
        raise ConfigError(
            "[email] username is set, so LEADBOT_EMAIL__PASSWORD is needed in the environment"
        )


def contribute(runtime: Runtime, parts: PlatformParts) -> None:
    """Add the e-mail transport, the one-click routes and the link purge job to ``parts``."""
    settings = runtime.settings.email
    if not settings.enabled:
        return
    check_settings(settings)
    if not runtime.settings.server.public_url:
        log.warning(
            "email: no [server] public_url set; links in e-mails point to %s",
            runtime.settings.server.base_url(),
        )
    secret = _secret(settings, "link_secret")
    parts.transports[Platform.EMAIL] = EmailTransport(runtime, secret)
    parts.routers.append(act_router(runtime, secret))
    parts.routers.append(unsubscribe_router(runtime, secret))
    parts.outage_pages[ACT_PATH] = outage_page
    parts.outage_pages[UNSUBSCRIBE_PATH] = outage_page
    parts.background.append(named("email-link-purge", purge_job(runtime)))
