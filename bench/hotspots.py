"""Where the samples of a ``BENCH_PROFILE`` run went: the hottest functions of py-spy's
collapsed stacks (``bench/loadworld.py profiled()`` writes them).

    .venv/bin/python bench/hotspots.py /tmp/prof/intake-sqlite-1-0.txt
    .venv/bin/python bench/hotspots.py /tmp/prof/claims-0-0.txt --only Runner.run --top 40

``--only TEXT`` keeps the stacks with a frame containing TEXT (``Runner.run``: the event
loop's thread, leaving out the database driver's threads). Inclusive: the share of samples
with the function anywhere on the stack; self: at the top.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
_SITE = re.compile(r" \(\S*/site-packages/")


def frame_name(frame: str) -> str:
    """``func (path/file.py:12)`` without the line number and the site-packages prefix."""
    return _SITE.sub(" (", _LINE.sub(")", frame))


def hotspots(path: Path, only: str | None) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, and samples per function: inclusive and self."""
    inclusive: Counter[str] = Counter()
    top: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";")]
        if only and not any(only in f for f in frames):
            continue
        samples = int(count)
        total += samples
        for name in set(frames):
            inclusive[name] += samples
        top[frames[-1]] += samples
    return total, inclusive, top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--only", help="keep stacks with a frame containing this text")
    parser.add_argument("--top", type=int, default=50)
    args = parser.parse_args()
    total, inclusive, top = hotspots(args.stacks, args.only)
    print(f"{total} samples")
    for title, counts in (("inclusive", inclusive), ("self", top)):
        print(f"--- {title}")
        for name, samples in counts.most_common(args.top):
            print(f"{100 * samples / max(total, 1):5.1f}%  {name[:150]}")


if __name__ == "__main__":
    main()
