"""Orders as the API sees them: the `pending` row written at intake, then whatever the flows upsert.

Intake inserts first (`api.pending`, in batches) and produces second. `(account_id, client_order_id)`
is unique, so a retried place with the same client id finds the first row instead of writing a
second command.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from api.pending import intake_time
from matcher.commands import PlaceOrder

COLUMNS = ("order_id, account_id, client_order_id, symbol, side, order_type, time_in_force, price_ticks,"
           " stop_price_ticks, quantity_lots, filled_lots, status, reject_reason, created_at, updated_at")
CLOSED = ("filled", "cancelled", "expired", "rejected")


def pending_row(order: PlaceOrder, client_order_id: str | None) -> dict:
    """The row `api.pending` writes for a new order, as `SELECT {COLUMNS}` would read it back."""
    at = intake_time(order.ts_ns)
    return {"order_id": order.order_id, "account_id": order.account, "client_order_id": client_order_id,
            "symbol": order.symbol, "side": order.side, "order_type": order.order_type, "time_in_force": order.tif,
            "price_ticks": order.price, "stop_price_ticks": order.stop_price, "quantity_lots": order.qty,
            "filled_lots": 0, "status": "pending", "reject_reason": None, "created_at": at, "updated_at": at}


async def by_client_id(conn: AsyncConnection, account_id: str, client_order_id: str) -> dict | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM orders WHERE account_id = %s AND client_order_id = %s",
        (account_id, client_order_id))
    return await cur.fetchone()


async def by_id(conn: AsyncConnection, account_id: str, order_id: str) -> dict | None:
    """The order if it belongs to `account_id`; someone else's order is as absent as a missing one."""
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM orders WHERE order_id = %s AND account_id = %s", (order_id, account_id))
    return await cur.fetchone()


async def mark_intake_failed(conn: AsyncConnection, order_id: str, reason: str) -> None:
    await conn.execute(
        "UPDATE orders SET status = 'rejected', reject_reason = %s, updated_at = now()"
        " WHERE order_id = %s AND status = 'pending' AND last_seq = 0", (reason, order_id))


async def page(conn: AsyncConnection, account_id: str, *, symbol: str | None, status: str | None,
               side: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    where, params = ["account_id = %s"], [account_id]
    for column, value in (("symbol", symbol), ("status", status), ("side", side)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    condition = " AND ".join(where)
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM orders WHERE {condition} ORDER BY created_at DESC, order_id DESC"
        " LIMIT %s OFFSET %s", (*params, limit, offset))
    rows = await cur.fetchall()
    cur = await conn.execute(f"SELECT count(*) AS n FROM orders WHERE {condition}", params)
    return rows, (await cur.fetchone())["n"]
