"""One lead's ranking: the eligible partners, best first, as :class:`PartnerIndex` left
them — arrays, turned into :class:`~bot.matching.model.Decision` objects only for the
partners a caller asks for (a wave takes the first few of thousands)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

import numpy as np

from bot.matching.model import Decision
from bot.matching.rules import COMPONENTS

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class Ranking:
    """The eligible partners for one lead, best first, with their scores and components."""

    def __init__(
        self,
        ids: np.ndarray[Any, np.dtype[np.object_]],
        positions: IntArray,
        scores: FloatArray,
        parts: FloatArray,
        checked: int,
    ) -> None:
        self._ids = ids
        self.positions = positions  # rows of the index, best first
        self.scores = scores
        self.parts = parts  # (eligible, len(COMPONENTS))
        self.checked = checked  # how many partners were considered

    def __len__(self) -> int:
        return len(self.positions)

    def __bool__(self) -> bool:
        return len(self.positions) > 0

    @cached_property
    def ids(self) -> list[str]:
        """Eligible partner ids, best first."""
        return self._ids[self.positions].tolist()  # type: ignore[no-any-return]

    @cached_property
    def _rank_of(self) -> dict[str, int]:
        return {pid: i + 1 for i, pid in enumerate(self.ids)}

    def rank_of(self, partner_id: str) -> int | None:
        """1-based place of an eligible partner; None if it is not eligible."""
        return self._rank_of.get(partner_id)

    def decision(self, i: int) -> Decision:
        parts = self.parts[i]
        return Decision(
            partner_id=str(self._ids[self.positions[i]]),
            eligible=True,
            score=float(self.scores[i]),
            components={name: float(parts[k]) for k, name in enumerate(COMPONENTS)},
        )

    def top(self, n: int | None = None) -> list[Decision]:
        """The best ``n`` decisions (all when ``n`` is None)."""
        count = len(self) if n is None else min(n, len(self))
        return [self.decision(i) for i in range(count)]

    def __iter__(self) -> Iterator[Decision]:
        return (self.decision(i) for i in range(len(self)))
