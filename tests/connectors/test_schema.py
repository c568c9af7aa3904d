"""The schema's guarantees, checked on the real database: facts are append-only and partitioned."""

from datetime import datetime, timezone

import psycopg
import pytest

from connectors.postgres.pool import connect

NOW = datetime.now(timezone.utc)
TRADE = {
    "trade_id": "TEST-USD:1", "symbol": "TEST-USD", "seq": 1, "price_ticks": 100, "quantity_lots": 2,
    "taker_side": "buy", "maker_order_id": "m", "taker_order_id": "t", "maker_account_id": "a",
    "taker_account_id": "b", "executed_at": NOW,
}
ENTRY = {
    "entry_id": "cmd-1:0", "account_id": "a", "asset": "USD", "bucket": "available", "amount": 5,
    "kind": "deposit", "command_id": "cmd-1", "reference": None, "created_at": NOW,
}


def _insert(conn: psycopg.Connection, table: str, row: dict) -> None:
    columns = ", ".join(row)
    placeholders = ", ".join(f"%({name})s" for name in row)
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", row)


@pytest.mark.parametrize(
    ("table", "row", "change"),
    [
        ("trades", TRADE, "UPDATE trades SET price_ticks = 1 WHERE trade_id = 'TEST-USD:1'"),
        ("trades", TRADE, "DELETE FROM trades WHERE trade_id = 'TEST-USD:1'"),
        ("ledger_entries", ENTRY, "UPDATE ledger_entries SET amount = 6 WHERE entry_id = 'cmd-1:0'"),
        ("ledger_entries", ENTRY, "DELETE FROM ledger_entries WHERE entry_id = 'cmd-1:0'"),
    ],
)
def test_facts_refuse_update_and_delete(stack, table, row, change):
    with connect(stack.postgres) as conn:
        conn.autocommit = False
        try:
            _insert(conn, table, row)  # the row lands in today's partition
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(change)
        finally:
            conn.rollback()


@pytest.mark.parametrize("table", ["trades", "ledger_entries", "candles", "alerts"])
def test_time_series_tables_are_partitioned_by_pg_partman(stack, table):
    with connect(stack.postgres) as conn:
        managed = conn.execute(
            "SELECT count(*) FROM partman.part_config WHERE parent_table = %s", (f"public.{table}",)
        ).fetchone()[0]
        partitions = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", (table,)
        ).fetchone()[0]
    assert managed == 1
    assert partitions >= 2  # today's partition and the default one at least
