"""Standard Webhooks signatures (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).

The signature is the reference implementation's (the ``standardwebhooks`` package):
``v1,`` + base64 of HMAC-SHA256 over ``"<id>.<timestamp>.<body>"``, keyed with the
secret's bytes (``whsec_`` + base64). The timestamp is the real time of the attempt (the
receiver compares it with its own clock to refuse replays), not leadbot's scheduling clock.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

from bot.config import ConfigError, Settings, WebhookEndpoint, webhook_label

PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # the specification's lower bound (192 bits)


def secret_problem(hook: WebhookEndpoint) -> str | None:
    """What is wrong with the endpoint's secret, or None."""
    if hook.secret is None or not hook.secret.get_secret_value():
        return f"the environment variable {hook.secret_env} (its signing secret) is not set"
    value = hook.secret.get_secret_value()
    if not value.startswith(PREFIX):
        return f"{hook.secret_env} must start with {PREFIX} (Standard Webhooks secret)"
    try:
        key = base64.b64decode(value[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return f"{hook.secret_env}: the part after {PREFIX} is not base64"
    if len(key) < MIN_SECRET_BYTES:
        return f"{hook.secret_env}: the key must have at least {MIN_SECRET_BYTES} bytes"
    return None


def check_webhooks(settings: Settings) -> None:
    """At start (``serve``): every enabled endpoint has a usable secret, or ConfigError."""
    problems = [
        f"{webhook_label(i, hook.name)}: {problem}"
        for i, hook in enumerate(settings.webhooks)
        if hook.enabled and (problem := secret_problem(hook))
    ]
    if problems:
        raise ConfigError("webhooks cannot start:\n  " + "\n  ".join(problems))


def signer(hook: WebhookEndpoint) -> Webhook:
    problem = secret_problem(hook)
    if problem:
        raise ConfigError(f"webhook {hook.name}: {problem}")
    assert hook.secret is not None
    return Webhook(hook.secret.get_secret_value())


def new_secret() -> str:
    """A fresh ``whsec_`` secret (32 random bytes)."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def signed_headers(
    signature: Webhook, message_id: str, when: datetime, body: str
) -> Mapping[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``when``."""
    when = when.astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": signature.sign(message_id, when, body),
    }
