"""Read what README.md and docs/*.md show an operator: fenced blocks, code spans, links.

The doc tests (tests/test_docs.py, tests/test_cli_help.py) check these against the software,
so a command, a setting or a link the docs name cannot drift away from what exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^([ \t]*)```(\w*)[^\n]*\n(.*?)^\1```", flags=re.S | re.M)


@dataclass(frozen=True)
class Block:
    """A fenced block: its file, the line its fence opens on, its language and its text."""

    file: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(REPO)}:{self.line}"


def doc_files() -> list[Path]:
    """README.md and every page under docs/ — what an operator reads."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def fenced_blocks(file: Path) -> list[Block]:
    """Every fenced block of ``file``, dedented by its fence's indentation (a block inside
    a numbered list step is indented like the step)."""
    text = file.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        indent, language, body = match.groups()
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(file, line, language, "\n".join(lines) + "\n"))
    return blocks


def prose(file: Path) -> str:
    """The text of ``file`` outside fenced blocks."""
    return _FENCE.sub("", file.read_text(encoding="utf-8"))


def code_spans(file: Path) -> list[str]:
    """The inline code spans of ``file``'s prose, blanks and line breaks squeezed to one space
    and a table cell's ``\\|`` read as ``|``."""
    spans = re.findall(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", prose(file), flags=re.S)
    return [" ".join(body.replace("\\|", "|").split()) for _, body in spans]


def shell_lines(file: Path) -> list[str]:
    """The lines of ``file``'s shell blocks (```sh, ```bash and unmarked ones), with
    continuation lines joined, a ``$`` prompt and a trailing ``# comment`` removed."""
    lines = []
    for block in fenced_blocks(file):
        if block.language not in ("sh", "bash", "console", ""):
            continue
        for line in block.text.replace("\\\n", " ").splitlines():
            line = re.sub(r"^\s*\$\s+", "", line)
            lines.append(re.sub(r"\s+#\s.*$", "", line).strip())
    return lines


def relative_links(file: Path) -> list[str]:
    """The targets of ``file``'s Markdown links and images that are not web addresses."""
    text = re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", prose(file), flags=re.S)
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [target for target in targets if not re.match(r"[a-z][a-z+.-]*:", target)]


def anchors(file: Path) -> set[str]:
    """The anchors GitHub gives ``file``'s headings (lower case, punctuation dropped, blanks
    as ``-``, a repeated heading ``-1``, ``-2`` …)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", prose(file), flags=re.M):
        slug = "".join(char for char in heading.lower() if char.isalnum() or char in "-_ ").replace(
            " ", "-"
        )
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found
