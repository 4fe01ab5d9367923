"""Waves: who is offered a lead first, next, and last."""

from __future__ import annotations

import pytest

from bot.matching import next_wave, plan_waves

RANKED = [f"P{i}" for i in range(1, 11)]


def test_exclusive_then_five_then_everyone_left() -> None:
    assert plan_waves(RANKED, [1, 5, 0]) == [["P1"], ["P2", "P3", "P4", "P5", "P6"], RANKED[6:]]


def test_few_partners_leave_later_waves_empty_but_present() -> None:
    assert plan_waves(["P1", "P2"], [1, 5, 0]) == [["P1"], ["P2"], []]
    assert plan_waves([], [1, 0]) == [[], []]


def test_everyone_at_once_and_fixed_sizes_only() -> None:
    assert plan_waves(RANKED, [0]) == [RANKED]
    assert plan_waves(RANKED, [3, 3]) == [RANKED[:3], RANKED[3:6]]  # the rest is never offered


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="wave sizes"):
        plan_waves(RANKED, [1, -1])
    with pytest.raises(ValueError, match="wave size"):
        next_wave(RANKED, set(), -2)


def test_next_wave_skips_partners_already_offered_this_round() -> None:
    offered = {"P1", "P3"}
    assert next_wave(RANKED, offered, 3) == ["P2", "P4", "P5"]
    assert next_wave(RANKED, offered, 0) == [p for p in RANKED if p not in offered]
    assert next_wave(["P1"], {"P1"}, 5) == []
