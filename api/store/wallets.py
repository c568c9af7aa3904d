"""Bound wallets, balances (the journal's projection) and transfers requested through the API."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation


async def bind(conn: AsyncConnection, address: str, user_id: int, chain_id: int) -> dict | None:
    """The binding (an existing one of this user's is returned as is); None if another user holds it."""
    try:
        cur = await conn.execute(
            "INSERT INTO wallets (address, user_id, chain_id) VALUES (%s, %s, %s)"
            " ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address WHERE wallets.user_id = %s"
            " RETURNING address, chain_id, bound_at", (address, user_id, chain_id, user_id))
    except UniqueViolation:
        return None
    return await cur.fetchone()


async def wallets_of(conn: AsyncConnection, user_id: int) -> list[dict]:
    cur = await conn.execute(
        "SELECT address, chain_id, bound_at FROM wallets WHERE user_id = %s ORDER BY bound_at", (user_id,))
    return await cur.fetchall()


async def is_bound_to(conn: AsyncConnection, address: str, user_id: int) -> bool:
    cur = await conn.execute("SELECT 1 FROM wallets WHERE address = %s AND user_id = %s", (address, user_id))
    return await cur.fetchone() is not None


async def balances(conn: AsyncConnection, account_id: str) -> list[dict]:
    cur = await conn.execute(
        "SELECT asset, available, held, updated_at FROM balances WHERE account_id = %s ORDER BY asset",
        (account_id,))
    return await cur.fetchall()


async def available(conn: AsyncConnection, account_id: str, asset: str) -> int:
    cur = await conn.execute(
        "SELECT available FROM balances WHERE account_id = %s AND asset = %s", (account_id, asset))
    row = await cur.fetchone()
    return int(row["available"]) if row else 0


async def record_transfer(conn: AsyncConnection, cmd_id: str, account_id: str, kind: str, asset: str,
                          amount: int, address: str | None, ts_ns: int) -> dict:
    cur = await conn.execute(
        "INSERT INTO transfers (cmd_id, account_id, kind, asset, amount, address, requested_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s::numeric / 1e9))"
        " RETURNING cmd_id, kind, asset, amount, address, requested_at, 'pending' AS status",
        (cmd_id, account_id, kind, asset, amount, address, ts_ns))
    return await cur.fetchone()


async def transfers(conn: AsyncConnection, account_id: str, kind: str, limit: int, offset: int) -> list[dict]:
    """Newest first; `completed` once the ledger journaled the command (its entry `<cmd_id>:0`)."""
    cur = await conn.execute(
        "SELECT t.cmd_id, t.kind, t.asset, t.amount, t.address, t.requested_at,"
        " CASE WHEN EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account_id = t.account_id"
        "   AND e.command_id = t.cmd_id || ':0') THEN 'completed' ELSE 'pending' END AS status"
        " FROM transfers t WHERE t.account_id = %s AND t.kind = %s"
        " ORDER BY t.requested_at DESC LIMIT %s OFFSET %s", (account_id, kind, limit, offset))
    return await cur.fetchall()
