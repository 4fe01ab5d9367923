"""Benchmark: matching one news pass against many open leads (run by hand, not in the suite).

    .venv/bin/python bench/news_matching.py [LEADS] [ITEMS]

Company names are built from a small vocabulary, so many names share their first word:
a deliberately unfavourable case for the name index.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime

from bot.news.feeds import FeedItem
from bot.news.feedstate import FeedResult
from bot.news.match import CompanyMatcher
from bot.news.service import _Owned, find_matches

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "zeppelin",
    "orbit",
    "kestrel",
    "falcon",
    "nova",
    "aurora",
    "vertex",
    "quantum",
    "helix",
    "summit",
    "pioneer",
    "atlas",
]


def main(n_leads: int = 5000, n_items: int = 1000) -> None:
    rnd = random.Random(1)
    leads = [
        _Owned(
            i,
            i,
            None,
            CompanyMatcher(
                f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {i} GmbH", f"company-{i}.de", f"T{i}"
            ),
        )
        for i in range(n_leads)
    ]
    items = [
        FeedItem(
            uid=str(i),
            title=" ".join(rnd.choices(WORDS, k=10)) + f" (XETRA: T{i}) company-{i * 3}.de",
            link=f"https://news.example/{i}",
            summary=" ".join(rnd.choices(WORDS, k=60)),
            published=None,
        )
        for i in range(n_items)
    ]
    start = time.perf_counter()
    found = find_matches(
        [FeedResult("bench", "bench", items)], leads, datetime(2000, 1, 1, tzinfo=UTC)
    )
    elapsed = time.perf_counter() - start
    print(f"{n_leads} open leads x {n_items} news items: {len(found)} matches in {elapsed:.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
