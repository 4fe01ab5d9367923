"""Which ranked partners go into which wave of an offer round. Pure functions.

``[distribution] waves`` lists wave sizes: e.g. 1 (an exclusive offer), then 5, then 0 —
"everyone eligible who is left". Each wave *adds* partners; earlier teasers stay open.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def plan_waves(eligible_ids: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    """Split ranked partner ids into waves: wave k takes the next ``sizes[k]`` (0 = all rest).

    Always one list per size, possibly empty, so wave numbers stay aligned with the
    configuration even when few partners are eligible.
    """
    if any(size < 0 for size in sizes):
        raise ValueError("wave sizes must be 0 (everyone left) or positive")
    waves: list[list[str]] = []
    start = 0
    for size in sizes:
        end = len(eligible_ids) if size == 0 else min(len(eligible_ids), start + size)
        waves.append(list(eligible_ids[start:end]))
        start = end
    return waves


def next_wave(ranked_ids: Sequence[str], offered: Collection[str], size: int) -> list[str]:
    """The next ``size`` best partners not offered yet in this round (0 = all of them).

    Used when a wave expires: the ranking is recomputed then (capacity and pauses change),
    so the next wave is "the best of the rest now", not a slice of the first ranking.
    """
    if size < 0:
        raise ValueError("wave size must be 0 (everyone left) or positive")
    fresh = [pid for pid in ranked_ids if pid not in offered]
    return fresh if size == 0 else fresh[:size]
