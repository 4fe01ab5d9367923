"""Which chat transports a server process delivers notices with.

``leadbot serve`` asks :func:`transports` once at start and hands the result to the outbox
sender. Each platform's engineer adds their transport here, built from ``runtime.settings``
(and only when that platform is enabled), e.g.::

    if runtime.settings.slack.enabled:
        out[Platform.SLACK] = SlackTransport(runtime)

A platform enabled in the settings without a transport here keeps its notices queued in
the outbox (``leadbot serve`` warns about it at start).
"""

from __future__ import annotations

from bot.models.enums import Platform
from bot.runtime import Runtime
from bot.transports import Transport


def transports(runtime: Runtime) -> dict[Platform, Transport]:
    """The transports this process delivers with; none yet (Slack and Telegram come later)."""
    out: dict[Platform, Transport] = {}
    return out
