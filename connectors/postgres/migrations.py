"""Versioned SQL migrations, applied exactly once each and recorded in `schema_migrations`.

Files are `migrations/NNNN_name.sql`, applied in order, each in its own transaction. A session-level
advisory lock serialises concurrent runners (two `fasttrading up` at once), and a checksum refuses a
file that was edited after it was applied: schema history is append-only, like the ledger.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from connectors.postgres.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ADVISORY_LOCK_ID = 0x46_54_4D_49_47  # "FTMIG"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a version in {directory}")
    return migrations


def apply_migrations(conn: psycopg.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply what is not applied yet; returns the versions applied by this call."""
    migrations = discover() if migrations is None else migrations
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_ID,))
    try:
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
        newly_applied = []
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied"
                    )
                continue
            with conn.transaction():
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            newly_applied.append(migration.version)
        return newly_applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_ID,))
