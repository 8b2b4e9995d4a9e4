"""Storage: the schema, the database connection and its migrations."""

from affidavit.store.engine import Database, open_database
from affidavit.store.schema import metadata

__all__ = ["Database", "metadata", "open_database"]
