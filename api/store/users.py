"""Users and their API keys."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation


async def create_user(conn: AsyncConnection, email: str, password_hash: str, account_id: str) -> dict | None:
    """The new user, or None when the e-mail is taken."""
    try:
        cur = await conn.execute(
            "INSERT INTO users (account_id, email, password_hash) VALUES (%s, %s, %s)"
            " RETURNING user_id, account_id, email, created_at",
            (account_id, email, password_hash),
        )
    except UniqueViolation:
        return None
    return await cur.fetchone()


async def user_by_email(conn: AsyncConnection, email: str) -> dict | None:
    cur = await conn.execute(
        "SELECT user_id, account_id, email, password_hash, orders_per_s, requests_per_min, created_at"
        " FROM users WHERE email = %s", (email,))
    return await cur.fetchone()


async def user_by_id(conn: AsyncConnection, user_id: int) -> dict | None:
    cur = await conn.execute(
        "SELECT user_id, account_id, email, created_at FROM users WHERE user_id = %s", (user_id,))
    return await cur.fetchone()


async def create_key(conn: AsyncConnection, key_id: str, user_id: int, label: str, secret_hash: str) -> dict:
    cur = await conn.execute(
        "INSERT INTO api_keys (key_id, user_id, label, secret_hash) VALUES (%s, %s, %s, %s)"
        " RETURNING key_id, label, created_at, revoked_at",
        (key_id, user_id, label, secret_hash),
    )
    return await cur.fetchone()


async def list_keys(conn: AsyncConnection, user_id: int) -> list[dict]:
    cur = await conn.execute(
        "SELECT key_id, label, created_at, revoked_at FROM api_keys WHERE user_id = %s ORDER BY created_at DESC",
        (user_id,))
    return await cur.fetchall()


async def revoke_key(conn: AsyncConnection, user_id: int, key_id: str) -> bool:
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = %s AND user_id = %s",
        (key_id, user_id))
    return cur.rowcount == 1


async def key_owner(conn: AsyncConnection, key_id: str) -> dict | None:
    """The live key's hash and its owner (with rate-limit overrides); None if unknown or revoked."""
    cur = await conn.execute(
        "SELECT k.secret_hash, u.user_id, u.account_id, u.orders_per_s, u.requests_per_min"
        " FROM api_keys k JOIN users u USING (user_id) WHERE k.key_id = %s AND k.revoked_at IS NULL",
        (key_id,))
    return await cur.fetchone()
