"""Library problems in the reader's language, for the staff feed and the CLI.

The validator records each problem in English (``message``, for the log) with a ``code`` and
its ``params``; here the same problem is said in German or English from the catalogs
(``content_problem.<code>``). A problem without a code (or an unknown one) keeps its
English words: the place — file, line, item and field — is what matters most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import has, t

SHOWN = 10  # problems listed in one staff notice; `leadbot content check` lists them all


def problem_text(language: str, problem: Mapping[str, Any]) -> str:
    """One problem as a line: ``x-series.toml:14: offers[1].valid_until: kein Datum …``."""
    code = str(problem.get("code") or "")
    params = problem.get("params") if isinstance(problem.get("params"), Mapping) else {}
    key = f"content_problem.{code}"
    what = t(language, key, **params) if code and has(language, key) else problem.get("message")
    line = problem.get("line")
    place = f"{problem.get('file', '')}:{line}" if line else str(problem.get("file", ""))
    where = problem.get("where")
    return f"{place}: {where}: {what}" if where else f"{place}: {what}"


def problem_lines(language: str, problems: Sequence[Mapping[str, Any]], more: int = 0) -> str:
    """A staff notice's list: one ``• …`` line per problem, and how many more there are."""
    lines = [f"• {problem_text(language, p)}" for p in problems if isinstance(p, Mapping)]
    if more > 0:
        lines.append(t(language, "content_problem.more", count=more))
    return "\n".join(lines)
