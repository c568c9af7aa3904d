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


def project(conn: psycopg.Connection, matcher_events: list[tuple], ledger_events: list[tuple]) -> None:
    """Apply one batch of `matcher.events` and `ledger.events` in one transaction."""
    with conn.transaction():
        _insert_trades(conn, [e for e in matcher_events if e[0] == "trade"])
        _update_orders(conn, matcher_events)
        _apply_journal(conn, [e for e in ledger_events if e[0] == "journal"])
        _reject_pending_orders(conn, [e for e in ledger_events if e[0] == "ledger_rejected"])


def _insert_trades(conn: psycopg.Connection, trades: list[tuple]) -> None:
    if not trades:
        return
    columns = defaultdict(list)
    for event in trades:
        trade = dict(zip(FIELDS["trade"], event))
        columns["trade_id"].append(f"{trade['symbol']}:{trade['seq']}")
        for name in ("symbol", "seq", "price", "qty", "taker_side", "maker_order_id", "taker_order_id",
                     "maker_account", "taker_account"):
            columns[name].append(trade[name])
        columns["executed_at"].append(to_timestamp(trade["ts_ns"]))
    conn.execute(
        """INSERT INTO trades (trade_id, symbol, seq, price_ticks, quantity_lots, taker_side, maker_order_id,
                               taker_order_id, maker_account_id, taker_account_id, executed_at)
           SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],
                                %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])
           ON CONFLICT DO NOTHING""",
        [columns[name] for name in ("trade_id", "symbol", "seq", "price", "qty", "taker_side", "maker_order_id",
                                    "taker_order_id", "maker_account", "taker_account", "executed_at")],
    )


def _update_orders(conn: psycopg.Connection, events: list[tuple]) -> None:
    accepted, updates = [], []
    for event in events:
        kind = event[0]
        fields = dict(zip(FIELDS[kind], event))
        seq, at = fields["seq"], to_timestamp(fields["ts_ns"])
        if kind == "accepted":
            accepted.append((fields["order_id"], fields["account"], fields["symbol"], fields["side"],
                             fields["order_type"], fields["tif"], fields["price"], fields["stop_price"],
                             fields["qty"], seq, at, at))
        elif kind == "trade":
            for side in ("maker", "taker"):
                remaining = fields[f"{side}_remaining"]
                status = "filled" if remaining == 0 else "partially_filled"
                updates.append((status, remaining, None, None, None, seq, at, fields[f"{side}_order_id"]))
        elif kind == "rested":
            updates.append(("open", fields["remaining"], None, None, None, seq, at, fields["order_id"]))
        elif kind == "amended":
            updates.append((None, fields["remaining"], fields["price"], fields["qty"], None, seq, at,
                            fields["order_id"]))
        elif kind == "rejected" and fields["cmd_type"] == "place":
            updates.append(("rejected", None, None, None, fields["reason"], seq, at, fields["order_id"]))
        elif kind in ORDER_STATUS_BY_EVENT:
            updates.append((ORDER_STATUS_BY_EVENT[kind], None, None, None, None, seq, at, fields["order_id"]))
    with conn.cursor() as cur:
        if accepted:
            cur.executemany(
                """INSERT INTO orders (order_id, account_id, symbol, side, order_type, time_in_force, price_ticks,
                                       stop_price_ticks, quantity_lots, status, last_seq, created_at, updated_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'new', %s, %s, %s)
                   ON CONFLICT (order_id) DO UPDATE SET
                       status = 'new', order_type = EXCLUDED.order_type, time_in_force = EXCLUDED.time_in_force,
                       price_ticks = EXCLUDED.price_ticks, stop_price_ticks = EXCLUDED.stop_price_ticks,
                       quantity_lots = EXCLUDED.quantity_lots, last_seq = EXCLUDED.last_seq,
                       updated_at = EXCLUDED.updated_at
                   WHERE orders.last_seq < EXCLUDED.last_seq""",
                accepted,
            )
        if updates:
            # status NULL keeps the status; remaining NULL keeps the fill; a rested order with fills is
            # partially filled, not open.
            cur.executemany(
                """UPDATE orders SET
                       quantity_lots = coalesce(%(qty)s, quantity_lots),
                       price_ticks = coalesce(%(price)s, price_ticks),
                       filled_lots = coalesce(coalesce(%(qty)s, quantity_lots) - %(remaining)s, filled_lots),
                       status = CASE
                           WHEN %(status)s = 'open' AND coalesce(%(qty)s, quantity_lots) > %(remaining)s
                               THEN 'partially_filled'
                           ELSE coalesce(%(status)s, status) END,
                       reject_reason = coalesce(%(reason)s, reject_reason),
                       last_seq = %(seq)s, updated_at = %(at)s
                   WHERE order_id = %(order_id)s AND last_seq < %(seq)s""",
                [dict(zip(("status", "remaining", "price", "qty", "reason", "seq", "at", "order_id"), row))
                 for row in updates],
            )


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
    lines = journal_lines(entries)
    inserted = conn.execute(
        """INSERT INTO ledger_entries (entry_id, account_id, asset, bucket, amount, kind, command_id, reference,
                                       created_at)
           SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::numeric[], %s::text[],
                                %s::text[], %s::text[], %s::timestamptz[])
           ON CONFLICT DO NOTHING
           RETURNING account_id, asset, bucket, amount""",
        [list(column) for column in zip(*lines)],
    ).fetchall()
    deltas: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for account, asset, bucket, amount in inserted:
        deltas[(account, asset)][0 if bucket == "available" else 1] += int(amount)
    # A fixed order of rows keeps concurrent projection workers from deadlocking on shared accounts.
    rows = [(account, asset, available, held) for (account, asset), (available, held) in sorted(deltas.items())]
    if rows:
        conn.cursor().executemany(
            """INSERT INTO balances (account_id, asset, available, held, updated_at) VALUES (%s, %s, %s, %s, now())
               ON CONFLICT (account_id, asset) DO UPDATE SET
                   available = balances.available + EXCLUDED.available,
                   held = balances.held + EXCLUDED.held, updated_at = now()""",
            rows,
        )


def _reject_pending_orders(conn: psycopg.Connection, rejections: list[tuple]) -> None:
    rows = [{"order_id": order_id, "reason": reason, "at": to_timestamp(ts_ns)}
            for _, _, _, ts_ns, cmd_type, order_id, reason in rejections if cmd_type == "place" and order_id]
    if rows:
        conn.cursor().executemany(
            """UPDATE orders SET status = 'rejected', reject_reason = %(reason)s, updated_at = %(at)s
               WHERE order_id = %(order_id)s AND status = 'pending'""",
            rows,
        )
