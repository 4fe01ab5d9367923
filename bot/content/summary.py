"""What one sync of the content library did, as ``leadbot content reload`` and the log say it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.items import Problem


@dataclass(frozen=True)
class SyncSummary:
    """What a sync did. ``error`` is set (and nothing changed) when there is no library to
    read; ``problems`` lists what was wrong with the items that were skipped."""

    ok: bool
    error: str | None = None
    files: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    messages: int = 0
    reps: int = 0
    problems: tuple[Problem, ...] = ()
    report: str = ""  # every problem, one a line (English, for the log and the CLI)

    def __str__(self) -> str:
        if not self.ok:
            return f"{self.error}\nThe last good library stays in use; nothing was sent."
        text = (
            f"Content library: {self.items} item{'s' * (self.items != 1)} in {self.files} "
            f"file{'s' * (self.files != 1)} "
            f"({self.new} new, {self.changed} changed, {self.removed} removed); "
            f"{self.messages} update message(s) queued for {self.reps} rep(s)."
        )
        if self.problems:
            text += (
                f"\n{self.report}\nThese items were skipped (a version published before "
                "stays in use); every other item is in use."
            )
        return text
