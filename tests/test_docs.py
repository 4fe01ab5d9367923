"""What README.md and docs/*.md tell an operator to write or follow is accepted by leadbot.

An operator copies a ```toml block into bot.toml (or into a content library file), exports a
``LEADBOT_<SECTION>__<KEY>`` variable, or follows a link: each must work as shown. The
commands the docs show are checked in tests/test_cli_help.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.loading import load_settings
from bot.config.settings import Settings
from tests.support.markdown import (
    REPO,
    anchors,
    code_spans,
    doc_files,
    fenced_blocks,
    relative_links,
    shell_lines,
)

TOML_BLOCKS = [
    block for file in doc_files() for block in fenced_blocks(file) if block.language == "toml"
]

# What the settings blocks name in the environment, set as an operator would.
SECRETS = {
    "LEADBOT_WEBHOOK_CRM_SECRET": "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
    "LEADBOT_SLACK__BOT_TOKEN": "xoxb-docs",
    "LEADBOT_SLACK__SIGNING_SECRET": "docs-signing-secret",
    "LEADBOT_TELEGRAM__TOKEN": "123456:docs",
    "LEADBOT_TELEGRAM__WEBHOOK_SECRET": "docs-webhook-secret",
    "LEADBOT_EMAIL__PASSWORD": "docs-password",
    "LEADBOT_EMAIL__LINK_SECRET": "d" * 64,
}


def _is_content_file(data: dict[str, object]) -> bool:
    """A content library file (docs/content.md) names its product ``line`` at the top; a
    settings file has only sections."""
    return "line" in data


@pytest.mark.parametrize("block", TOML_BLOCKS, ids=lambda block: block.where)
def test_every_toml_block_is_accepted_where_the_docs_put_it(block, tmp_path: Path) -> None:
    """A settings block loads through the settings loader on its own; a content library
    file passes ``leadbot content check`` with the shipped bot.toml's products."""
    data = tomllib.loads(block.text)
    if _is_content_file(data):
        library = tmp_path / "library"
        library.mkdir()
        (library / "docs-example.toml").write_text(block.text, encoding="utf-8")
        result = CliRunner().invoke(
            main, ["--config", str(REPO / "bot.toml"), "content", "check", str(library)]
        )
        assert result.exit_code == 0, f"{block.where}: {result.output}"
        return
    config = tmp_path / "bot.toml"
    config.write_text(block.text, encoding="utf-8")
    load_settings(config, SECRETS)  # raises ConfigError naming each wrong key or value


def test_the_readme_shows_a_settings_block() -> None:
    """The block collection is not empty by accident (a fence the pattern misses)."""
    wheres = [block.where for block in TOML_BLOCKS]
    assert any(where.startswith("README.md") for where in wheres), wheres
    assert len(wheres) >= 10, wheres


# Variables the docs name on purpose as a mistake, to show the error it gives.
_WRONG_ON_PURPOSE = {"LEADBOT_SLACK__ENABLE"}


@pytest.mark.parametrize("file", [*doc_files(), REPO / "bot.toml"], ids=lambda file: file.name)
def test_every_setting_variable_the_docs_name_is_a_setting(file: Path) -> None:
    """``LEADBOT_<SECTION>__<KEY>``: the section and the key exist (a misspelt variable is
    refused at start, so one copied from the docs must be right)."""
    text = file.read_text(encoding="utf-8")
    wrong = []
    for name, section, key in re.findall(r"(LEADBOT_([A-Z0-9_]+?)__([A-Z0-9_]+))", text):
        if name in _WRONG_ON_PURPOSE:
            continue
        field = Settings.model_fields.get(section.lower())
        model = getattr(field, "annotation", None)
        if not (isinstance(model, type) and key.lower() in getattr(model, "model_fields", {})):
            wrong.append(name)
    assert not wrong, f"{file.name}: {sorted(set(wrong))}"


@pytest.mark.parametrize("file", doc_files(), ids=lambda file: file.name)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(file: Path) -> None:
    broken = []
    for target in relative_links(file):
        path, _, fragment = target.partition("#")
        destination = (file.parent / path).resolve() if path else file
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.name}")
    assert not broken, f"{file.name}: " + "; ".join(broken)


def test_the_readmes_documentation_table_lists_every_page_of_docs() -> None:
    """README's "Documentation" section is where an operator looks for a page."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Documentation\n") :]
    section = section[: section.find("\n## ", 1)]
    listed = set(re.findall(r"\]\(docs/([\w.-]+\.md)\)", section))
    pages = {page.name for page in (REPO / "docs").glob("*.md")}
    assert pages - listed == set()


def _make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))


@pytest.mark.parametrize("file", doc_files(), ids=lambda file: file.name)
def test_every_make_command_the_docs_show_is_a_target(file: Path) -> None:
    """``make run``, ``make bench-intake`` … in a code span or a shell block exist."""
    shown = [*code_spans(file), *shell_lines(file)]
    named = {match for text in shown for match in re.findall(r"^make ([a-z][\w-]*)", text)}
    assert named - _make_targets() == set(), file.name


def test_the_readme_names_every_benchmark_make_bench_runs() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    [prerequisites] = re.findall(r"^bench:(.*)$", makefile, flags=re.M)
    benchmarks = set(prerequisites.split())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert {target for target in benchmarks if f"`make {target}`" not in readme} == set()
