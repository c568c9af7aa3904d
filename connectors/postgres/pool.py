"""One psycopg 3 connection pool per process, opened at the entry point and passed down."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from connectors.postgres.errors import PostgresError
from connectors.settings import PostgresSettings


def open_pool(settings: PostgresSettings, *, wait_s: float = 10.0) -> ConnectionPool:
    pool = ConnectionPool(
        settings.conninfo,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        open=False,
        name="fasttrading",
    )
    try:
        pool.open(wait=True, timeout=wait_s)
    except Exception as exc:  # psycopg_pool.PoolTimeout hides the server's own reason
        pool.close()
        raise PostgresError(f"PostgreSQL at {settings.host}:{settings.port} is unreachable: {exc}") from None
    return pool


def connect(settings: PostgresSettings, *, timeout_s: int = 5) -> psycopg.Connection:
    """A single connection, for commands that do one thing and exit."""
    try:
        return psycopg.connect(settings.conninfo, connect_timeout=timeout_s, autocommit=True)
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        raise PostgresError(
            f"PostgreSQL at {settings.host}:{settings.port} is unreachable: {first_line}"
        ) from None
