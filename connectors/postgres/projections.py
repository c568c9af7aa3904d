"""Projections of the core's events into PostgreSQL: trades, orders, the journal and balances.

Every write is idempotent, because the flows deliver at least once: trades and journal lines are
inserted with ON CONFLICT DO NOTHING on their derived ids, balances move only by the journal lines
that this very transaction inserted, and an order row changes only for an event whose symbol
sequence is newer than the one it last applied. One batch is one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Iterable

import psycopg

from matcher.events import FIELDS

ORDER_STATUS_BY_EVENT = {"accepted": "new", "triggered": "triggered", "cancelled": "cancelled",
                         "expired": "expired"}


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_timestamp(ts_ns: int) -> datetime:
    """Event time as PostgreSQL keeps it (microseconds), by integer arithmetic: no float rounding."""
    return EPOCH + timedelta(microseconds=ts_ns // 1000)


# Each batch is copied into these session tables, then merged into the real tables by a few
# set-based statements: COPY costs a fraction of binding each row as parameters. They are emptied at
# commit, and at the start of a batch too, for a caller that projects several inside one transaction.
STAGING_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS trades_in (LIKE trades) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ledger_in (LIKE ledger_entries) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS orders_in (
    order_id text, account_id text, symbol text, side text, order_type text, time_in_force text,
    price_ticks bigint, stop_price_ticks bigint, quantity_lots bigint, last_seq bigint, at timestamptz
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS order_updates_in (
    round int, order_id text, status text, remaining bigint, price_ticks bigint, quantity_lots bigint,
    reason text, last_seq bigint, at timestamptz
) ON COMMIT DELETE ROWS;
DELETE FROM trades_in; DELETE FROM ledger_in; DELETE FROM orders_in; DELETE FROM order_updates_in;
"""


def project(conn: psycopg.Connection, matcher_events: list[tuple], ledger_events: list[tuple]) -> None:
    """Apply one batch of `matcher.events` and `ledger.events` in one transaction."""
    with conn.transaction():
        conn.execute(STAGING_TABLES)
        _insert_trades(conn, [e for e in matcher_events if e[0] == "trade"])
        _update_orders(conn, matcher_events)
        _apply_journal(conn, [e for e in ledger_events if e[0] == "journal"])
        _reject_pending_orders(conn, [e for e in ledger_events if e[0] == "ledger_rejected"])


def _copy(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple]) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_trades(conn: psycopg.Connection, trades: list[tuple]) -> None:
    if not trades:
        return
    columns = ("trade_id, symbol, seq, price_ticks, quantity_lots, taker_side, maker_order_id, taker_order_id, "
               "maker_account_id, taker_account_id, executed_at")
    rows = []
    for event in trades:
        trade = dict(zip(FIELDS["trade"], event))
        rows.append((f"{trade['symbol']}:{trade['seq']}", trade["symbol"], trade["seq"], trade["price"], trade["qty"],
                     trade["taker_side"], trade["maker_order_id"], trade["taker_order_id"], trade["maker_account"],
                     trade["taker_account"], to_timestamp(trade["ts_ns"])))
    _copy(conn, "trades_in", columns, rows)
    conn.execute(f"INSERT INTO trades ({columns}) SELECT {columns} FROM trades_in ON CONFLICT DO NOTHING")


def _update_orders(conn: psycopg.Connection, events: list[tuple]) -> None:
    accepted, updates = [], []
    for event in events:
        kind = event[0]
        fields = dict(zip(FIELDS[kind], event))
        seq, at = fields["seq"], to_timestamp(fields["ts_ns"])
        if kind == "accepted":
            accepted.append((fields["order_id"], fields["account"], fields["symbol"], fields["side"],
                             fields["order_type"], fields["tif"], fields["price"], fields["stop_price"],
                             fields["qty"], seq, at))
        elif kind == "trade":
            for side in ("maker", "taker"):
                remaining = fields[f"{side}_remaining"]
                status = "filled" if remaining == 0 else "partially_filled"
                updates.append((fields[f"{side}_order_id"], status, remaining, None, None, None, seq, at))
        elif kind == "rested":
            updates.append((fields["order_id"], "open", fields["remaining"], None, None, None, seq, at))
        elif kind == "amended":
            updates.append((fields["order_id"], None, fields["remaining"], fields["price"], fields["qty"], None,
                            seq, at))
        elif kind == "rejected" and fields["cmd_type"] == "place":
            updates.append((fields["order_id"], "rejected", None, None, None, fields["reason"], seq, at))
        elif kind in ORDER_STATUS_BY_EVENT:
            updates.append((fields["order_id"], ORDER_STATUS_BY_EVENT[kind], None, None, None, None, seq, at))
    if accepted:
        # A replayed batch can carry an order's `accepted` twice: one row per order, or the upsert refuses.
        unique = list({row[0]: row for row in accepted}.values())
        _copy(conn, "orders_in", "order_id, account_id, symbol, side, order_type, time_in_force, price_ticks, "
                                 "stop_price_ticks, quantity_lots, last_seq, at", unique)
        conn.execute(
            """INSERT INTO orders (order_id, account_id, symbol, side, order_type, time_in_force, price_ticks,
                                   stop_price_ticks, quantity_lots, status, last_seq, created_at, updated_at)
               SELECT order_id, account_id, symbol, side, order_type, time_in_force, price_ticks, stop_price_ticks,
                      quantity_lots, 'new', last_seq, at, at FROM orders_in
               ON CONFLICT (order_id) DO UPDATE SET
                   status = 'new', order_type = EXCLUDED.order_type, time_in_force = EXCLUDED.time_in_force,
                   price_ticks = EXCLUDED.price_ticks, stop_price_ticks = EXCLUDED.stop_price_ticks,
                   quantity_lots = EXCLUDED.quantity_lots, last_seq = EXCLUDED.last_seq,
                   updated_at = EXCLUDED.updated_at
               WHERE orders.last_seq < EXCLUDED.last_seq""")
    if updates:
        # One UPDATE changes a row once, so an order's k-th change of the batch goes in round k.
        rounds: dict[str, int] = defaultdict(int)
        staged = []
        for row in updates:
            staged.append((rounds[row[0]], *row))
            rounds[row[0]] += 1
        _copy(conn, "order_updates_in", "round, order_id, status, remaining, price_ticks, quantity_lots, reason, "
                                        "last_seq, at", staged)
        # status NULL keeps the status; remaining NULL keeps the fill; a rested order with fills is
        # partially filled, not open.
        for round_ in range(max(rounds.values())):
            conn.execute(
                """UPDATE orders o SET
                       quantity_lots = coalesce(u.quantity_lots, o.quantity_lots),
                       price_ticks = coalesce(u.price_ticks, o.price_ticks),
                       filled_lots = coalesce(coalesce(u.quantity_lots, o.quantity_lots) - u.remaining, o.filled_lots),
                       status = CASE
                           WHEN u.status = 'open' AND coalesce(u.quantity_lots, o.quantity_lots) > u.remaining
                               THEN 'partially_filled'
                           ELSE coalesce(u.status, o.status) END,
                       reject_reason = coalesce(u.reason, o.reject_reason),
                       last_seq = u.last_seq, updated_at = u.at
                   FROM order_updates_in u
                   WHERE u.round = %s AND o.order_id = u.order_id AND o.last_seq < u.last_seq""",
                (round_,))


def journal_lines(entries: Iterable[tuple]) -> list[tuple]:
    """(entry_id, account, asset, bucket, signed amount, kind, command_id, order_id, at) for each side."""
    lines = []
    for (_, _, entry_id, ts_ns, reason, order_id, asset, amount,
         from_account, from_bucket, to_account, to_bucket) in entries:
        at = to_timestamp(ts_ns)
        lines.append((f"{entry_id}/0", from_account, asset, from_bucket, -amount, reason, entry_id, order_id, at))
        lines.append((f"{entry_id}/1", to_account, asset, to_bucket, amount, reason, entry_id, order_id, at))
    return lines


def _apply_journal(conn: psycopg.Connection, entries: list[tuple]) -> None:
    if not entries:
        return
    columns = "entry_id, account_id, asset, bucket, amount, kind, command_id, reference, created_at"
    _copy(conn, "ledger_in", columns, journal_lines(entries))
    # Balances move by exactly the lines this statement inserted; a fixed order of rows keeps
    # concurrent projection workers from deadlocking on shared accounts.
    conn.execute(
        f"""WITH inserted AS (
                INSERT INTO ledger_entries ({columns}) SELECT {columns} FROM ledger_in ON CONFLICT DO NOTHING
                RETURNING account_id, asset, bucket, amount)
            INSERT INTO balances (account_id, asset, available, held, updated_at)
            SELECT account_id, asset, coalesce(sum(amount) FILTER (WHERE bucket = 'available'), 0),
                   coalesce(sum(amount) FILTER (WHERE bucket = 'held'), 0), now()
            FROM inserted GROUP BY account_id, asset ORDER BY account_id, asset
            ON CONFLICT (account_id, asset) DO UPDATE SET
                available = balances.available + EXCLUDED.available,
                held = balances.held + EXCLUDED.held, updated_at = now()""")


def _reject_pending_orders(conn: psycopg.Connection, rejections: list[tuple]) -> None:
    rows = [{"order_id": order_id, "reason": reason, "at": to_timestamp(ts_ns)}
            for _, _, _, ts_ns, cmd_type, order_id, reason in rejections if cmd_type == "place" and order_id]
    if rows:
        conn.cursor().executemany(
            """UPDATE orders SET status = 'rejected', reject_reason = %(reason)s, updated_at = %(at)s
               WHERE order_id = %(order_id)s AND status = 'pending'""",
            rows,
        )
