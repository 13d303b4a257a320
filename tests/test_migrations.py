"""Migrations run from empty to head (and back) and match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db import migrate
from db.base import Base
from db.session import make_engine


def test_upgrade_from_empty_reaches_head_and_creates_every_table(databases):
    url = databases.new_empty()
    try:
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()
        tables = set(inspect(make_engine(url)).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        databases.drop(url)


def test_migrations_match_the_models(databases):
    url = databases.new_empty()
    try:
        migrate.upgrade(url)
        with make_engine(url).connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        databases.drop(url)


def test_downgrade_to_base_then_upgrade_again(databases):
    url = databases.new_empty()
    try:
        migrate.upgrade(url)
        migrate.downgrade(url, "base")
        assert set(inspect(make_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()
    finally:
        databases.drop(url)
