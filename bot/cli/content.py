"""``leadbot content check|reload``: validate the sales-content library and publish changes."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import command, config_option, fail, pass_settings, run_async
from bot.config import Settings
from bot.content.library import Library, LibraryError, library_path, load_library
from bot.content.service import SyncSummary, sync_library
from bot.runtime import Runtime


@click.group(name="content", context_settings={"help_option_names": ["-h", "--help"]})
@config_option
def content_group() -> None:
    """Sales content (arguments, offers, services) sent to the rep who owns a lead."""


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _counts(library: Library) -> str:
    """``4 files, 9 arguments, 1 offer``: the files read and the valid items by kind."""
    kinds: dict[str, int] = {}
    for item in library.items:
        kinds[item.kind.value] = kinds.get(item.kind.value, 0) + 1
    items = ", ".join(_counted(n, k) for k, n in sorted(kinds.items())) or "no items"
    return f"{_counted(len(library.files), 'file')}, {items}"


@command(content_group, name="check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@pass_settings
def check_command(settings: Settings, path: Path | None) -> None:
    """Validate the library (or PATH) without changing anything; exit 1 on problems.

    Every problem is listed; the items without problems are what reload would publish.
    """
    where = path or library_path(settings)
    try:
        library = load_library(where, settings.products)
    except LibraryError as exc:
        fail(str(exc))
        return
    if library.problems:
        fail(
            f"{library.report(str(where))}\n"
            f"Valid: {_counts(library)} — `leadbot content reload` (and serve) "
            "publish these and skip the items above."
        )
        return
    click.echo(f"{where}: OK — {_counts(library)}.")


async def _reload(settings: Settings) -> SyncSummary:
    runtime = Runtime.create(settings, pooled=False)
    try:
        return await sync_library(runtime)
    finally:
        await runtime.close()


@command(content_group, name="reload")
@pass_settings
def reload_command(settings: Settings) -> None:
    """Publish the library's valid items and send new or changed ones to the owners of open
    leads.

    Items with a problem are listed and skipped (a version published before stays in use),
    staff are told in their feed, and the exit status is 1 — after publishing the rest.
    """
    try:
        summary = run_async(_reload(settings))
    except Exception as exc:  # the database is unreachable, not migrated, ...
        fail(f"cannot reload the content library: {type(exc).__name__}: {exc}")
        return
    if not summary.ok or summary.problems:
        fail(str(summary))
        return
    click.echo(str(summary))
