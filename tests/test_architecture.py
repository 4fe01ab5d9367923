"""The rules the code layout keeps (docs/architecture.md), checked on the source itself.

* The core names no platform: ``Platform.SLACK`` and friends appear only in
  ``bot/handlers/``; a platform is one package behind ``bot.platform.ChatPlatform``.
* The core never imports a chat SDK; neither does the light part of a platform that the
  core loads through ``bot.handlers.registry``.
* There is no import cycle anywhere in ``bot/`` — counting imports inside functions too,
  so a cycle cannot hide in a deferred import (only ``if TYPE_CHECKING:`` blocks are left
  out: they never run).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
PLATFORM_NAME = re.compile(r"Platform\.(SLACK|TELEGRAM|CONSOLE|EMAIL)\b")
SDKS = ("slack_bolt", "slack_sdk", "telegram", "aiosmtplib", "aiosmtpd")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse for n in _import_nodes_in(child))
            continue
        yield from _import_nodes_in(node)


def _import_nodes_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _import_nodes(node)


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports: ``bot.*`` modules resolved, others by top name."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.add(candidate if candidate in MODULES else base)
    return found


GRAPH = {name: {m for m in imports_of(name) if m in MODULES and m != name} for name in MODULES}


def is_core(name: str) -> bool:
    return (
        not name.startswith("bot.handlers")
        and name != "bot.cli"
        and not name.startswith("bot.cli.")
    )


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other (cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_core_names_no_platform() -> None:
    found = [
        f"{path.relative_to(BOT.parent)}:{number}: {line.strip()}"
        for name, path in MODULES.items()
        if not name.startswith("bot.handlers")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PLATFORM_NAME.search(line)
    ]
    assert found == [], "platform branches outside bot/handlers/:\n" + "\n".join(found)


def test_no_import_cycles_in_bot() -> None:
    cycles = strongly_connected(GRAPH)
    assert cycles == [], "modules that import each other:\n" + "\n".join(map(str, cycles))


def test_the_cycle_check_finds_a_cycle() -> None:
    """The check itself works: a made-up graph with a cycle through three modules."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(GRAPH[current])
    return seen


def test_neither_the_core_nor_the_platform_registry_imports_a_chat_sdk() -> None:
    light = _reachable("bot.handlers.registry")
    offenders = sorted(
        f"{name} imports {sdk}"
        for name in MODULES
        if is_core(name) or name in light
        for sdk in SDKS
        if any(i == sdk or i.startswith(sdk + ".") for i in imports_of(name))
    )
    assert offenders == []


def test_the_core_reaches_platforms_only_through_the_registry() -> None:
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES
        if is_core(name)
        for target in GRAPH[name]
        if target.startswith("bot.handlers") and target != "bot.handlers.registry"
    )
    assert offenders == []
