"""When a failed notice is tried again: exponential backoff with jitter.

Without jitter every process that failed at the same moment (a platform outage ends, a
429 storm) comes back at the same moment and fails together again. We use the "equal
jitter" formula from the AWS Architecture Blog's *Exponential Backoff And Jitter*: half of
the exponential step is kept, the other half is random,

    step = min(cap, 2 s · 2^(attempt - 1));   delay = step / 2 + uniform(0, step / 2)

so a retry never comes sooner than half its step (no hot loop against a struggling
platform) and processes spread over the other half. A platform's own ``Retry-After`` is
honoured and stretched by up to a tenth, for the same reason. (The outbox schedules
retries as rows with a due time rather than sleeping in a call, so a retrying library such
as ``tenacity`` does not fit; these two formulas are all it would contribute.)
"""

from __future__ import annotations

import random

BASE_BACKOFF_SECONDS = 2.0
RETRY_AFTER_SPREAD = 0.1

DELAY_ALERT_ATTEMPTS = 6
"""After this many failed attempts (about two minutes of backoff) staff are told once."""


def backoff(attempts: int, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempts + 1``, after ``attempts`` failures (>= 1)."""
    step = min(cap, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return step / 2 + (rng or random).uniform(0, step / 2)


def after_hint(retry_after: float, rng: random.Random | None = None) -> float:
    """The platform's ``Retry-After``, stretched by up to a tenth so processes spread out."""
    return retry_after * (1 + (rng or random).uniform(0, RETRY_AFTER_SPREAD))
