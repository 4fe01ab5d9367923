"""What a failed Slack call means for the outbox: wait and retry, or give up and tell staff.

Slack answers errors as ``{"ok": false, "error": "<code>"}`` (HTTP 200), rate limits as
HTTP 429 with ``Retry-After``, outages as 5xx. The sender needs one of three answers:
retry after N seconds (429), retry with backoff (5xx, network, Slack's own transient
codes), or a permanent failure (the channel does not exist, the bot is not in it, the
token is wrong) that a retry cannot fix — marked failed and reported to staff, kept in the
outbox to be re-queued once fixed. Error codes we do not know are treated as permanent
too: retrying them forever would hide the problem from staff.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.delivery.transports import DeliveryError

TRANSIENT = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "users_not_found",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "restricted_action",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "invalid_arguments",
    }
)
GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def _status(error: SlackApiError) -> int:
    response = error.response
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)


def error_code(error: SlackApiError) -> str:
    response = error.response
    try:
        code = response.get("error") if hasattr(response, "get") else None
    except Exception:  # a non-JSON answer (an HTML error page from a proxy)
        code = None
    return str(code or f"http_{_status(error)}")


def retry_after(error: SlackApiError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if hasattr(headers, "get") else None
        if value is not None:
            try:
                return max(1.0, float(value))
            except ValueError:
                return None
    return None


def is_unreadable_success(error: SlackApiError) -> bool:
    """Slack answered HTTP 2xx without an error code, in a shape slack_sdk could not read
    (not JSON, no ``ok``): the call went through; only the answer is lost."""
    if not 200 <= _status(error) < 300:
        return False
    response = error.response
    try:
        data = response.data if hasattr(response, "data") else None
    except Exception:
        data = None
    return not (isinstance(data, dict) and data.get("error"))


def delivery_error(method: str, error: SlackApiError) -> DeliveryError:
    """The outbox's view of one failed Slack Web API call. The message holds no content."""
    status, code = _status(error), error_code(error)
    message = f"slack {method}: {code} (HTTP {status})"
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return DeliveryError(message, retry_after=retry_after(error) or 1.0)
    if status >= 500 or code in TRANSIENT or is_unreadable_success(error):
        return DeliveryError(message)  # an answer we could not read is worth another try
    return DeliveryError(message, permanent=True)


def post_error(error: SlackApiError) -> DeliveryError:
    """A failed ``chat.postMessage``, and whether the message may be in the channel all the
    same: Slack's own refusals (``ok: false``, 429) posted nothing; a 5xx from a proxy in
    between may hide a post that went through."""
    refused = delivery_error("chat.postMessage", error)
    refused.maybe_sent = _status(error) >= 500
    return refused


def network_error(method: str, error: BaseException) -> DeliveryError:
    """Slack could not be reached or did not answer in time: retry with backoff."""
    timed_out = isinstance(error, asyncio.TimeoutError | TimeoutError)
    return DeliveryError(f"slack {method}: {'timed out' if timed_out else type(error).__name__}")


NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)
