"""Migrations against the real PostgreSQL: exactly once, refuse edited history, safe in parallel."""

import threading
import uuid

import psycopg
import pytest

from connectors.postgres.errors import MigrationError
from connectors.postgres.migrations import Migration, apply_migrations, discover
from connectors.postgres.pool import connect


def test_applying_migrations_twice_is_a_no_op(stack):
    with connect(stack.postgres) as conn:
        apply_migrations(conn)
        before = conn.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
        assert apply_migrations(conn) == []
        after = conn.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
    assert before == after
    assert [version for version, _ in after] == [m.version for m in discover()]


def test_an_applied_migration_that_was_edited_is_refused(stack):
    first = discover()[0]
    edited = Migration(first.version, first.name, first.sql + "\n-- edited\n")
    with connect(stack.postgres) as conn, pytest.raises(MigrationError, match="changed after it was applied"):
        apply_migrations(conn, [edited])


@pytest.fixture
def scratch_schema(stack):
    """A throw-away schema so a migration set of the test's own gets its own `schema_migrations`."""
    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    with connect(stack.postgres) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with connect(stack.postgres) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_concurrent_runners_apply_each_migration_exactly_once(stack, scratch_schema):
    migrations = [
        Migration(1, "counter", "CREATE TABLE counter (n integer NOT NULL); INSERT INTO counter VALUES (0);"),
        Migration(2, "bump", "UPDATE counter SET n = n + 1;"),
        Migration(3, "bump_again", "UPDATE counter SET n = n + 1;"),
    ]
    results, errors = [], []

    def run():
        try:
            conninfo = stack.postgres.conninfo + f" options='-c search_path={scratch_schema}'"
            with psycopg.connect(conninfo, autocommit=True) as conn:
                results.append(apply_migrations(conn, migrations))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(v for applied in results for v in applied) == [1, 2, 3]
    with connect(stack.postgres) as conn:
        assert conn.execute(f"SELECT n FROM {scratch_schema}.counter").fetchone() == (2,)
