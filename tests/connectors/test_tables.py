"""Migration 0003 creates exactly the tables ``_tables.py`` describes, and removes them again."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, inspect

import affidavit.store
from affidavit.connectors import CONNECTOR_TABLES
from affidavit.store import Database, metadata

NAMES = {table.name for table in CONNECTOR_TABLES}
MIGRATION = Path(affidavit.store.__file__).parent / "migrations" / "versions" / "0003_connectors.py"


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("affidavit_migration_0003", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _differences(conn: Connection) -> list[Any]:
    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else obj.table
        return bool(table.name in NAMES)

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
    return list(compare_metadata(context, metadata))


def test_the_migration_follows_0002() -> None:
    module = _migration()
    assert (module.revision, module.down_revision) == ("0003", "0002")


def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    with db.read() as conn:
        assert set(inspect(conn).get_table_names()) >= NAMES
        assert _differences(conn) == []


def test_downgrade_removes_the_tables_and_upgrade_restores_them(db: Database) -> None:
    module = _migration()
    with db.write() as conn, Operations.context(MigrationContext.configure(conn)):
        module.downgrade()
    with db.read() as conn:
        tables = set(inspect(conn).get_table_names())
        assert not NAMES & tables
        assert "ledger_entries" in tables  # only ours went
    with db.write() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with db.read() as conn:
        assert _differences(conn) == []
