"""The Alembic migrations create exactly the schema the models describe, on both databases.

This is ``alembic check`` as a test: autogenerate compares a freshly migrated database with
the models and must find nothing to do (a model change without a migration fails here).
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, upgrade
from bot.models import Base
from tests.support.migrations import table_names

CONTENT_TABLES = {"content_items", "content_deliveries", "news_feeds", "news_matches"}


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diffs == []
    assert tables >= CONTENT_TABLES
    assert (
        current_revision(database_url)
        == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    )


def test_content_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "0001")
    assert not table_names(database_url) & CONTENT_TABLES
    assert "leads" in table_names(database_url)
    upgrade(database_url)
    assert table_names(database_url) >= CONTENT_TABLES
