"""The PostgreSQL projection on the real schema: however the events are cut into batches, and however
often a batch is delivered again, the tables end as if each event had been applied once, alone."""

import random
import uuid

import pytest

from connectors.postgres.pool import connect
from connectors.postgres.projections import project
from infra.sandbox import sandbox_listing
from infra.workload import synthetic_commands
from matcher.exchange import Exchange


@pytest.fixture(scope="module")
def stream():
    """(listing, [(matcher events, ledger events) per command]) of a seeded workload."""
    tag = uuid.uuid4().hex[:8].upper()
    listing = sandbox_listing(tag, symbols=2)
    exchange = Exchange(listing.values())
    outputs = [exchange.process(command)
               for command in synthetic_commands(listing, accounts=6, orders=400, seed=3, start_ns=10**18,
                                                 id_prefix=f"{tag}-")]
    matcher_events = [event for out in outputs for event in out.matcher_events]
    kinds = {event[0] for event in matcher_events}
    assert {"trade", "rested", "cancelled", "rejected"} <= kinds  # the workload exercises the order updates
    return listing, [(out.matcher_events, out.ledger_events) for out in outputs]


@pytest.fixture
def conn(stack):
    with connect(stack.postgres) as conn:
        yield conn


def _project_and_read(conn, listing, batches) -> dict[str, list[tuple]]:
    """The tables after projecting `batches`, each a (matcher events, ledger events) pair; rolled back after."""
    with conn.transaction(force_rollback=True):
        for batch in batches:
            project(conn, *batch)
        return _tables(conn, listing)


def _tables(conn, listing) -> dict[str, list[tuple]]:
    symbols = list(listing)
    assets = sorted({spec.base for spec in listing.values()} | {spec.quote for spec in listing.values()})
    return {
        "orders": conn.execute(
            "SELECT order_id, account_id, symbol, side, order_type, time_in_force, price_ticks, quantity_lots,"
            " filled_lots, status, reject_reason, last_seq, created_at, updated_at"
            " FROM orders WHERE symbol = ANY(%s) ORDER BY order_id", (symbols,)).fetchall(),
        "trades": conn.execute("SELECT * FROM trades WHERE symbol = ANY(%s) ORDER BY trade_id", (symbols,)).fetchall(),
        "ledger_entries": conn.execute("SELECT * FROM ledger_entries WHERE asset = ANY(%s) ORDER BY entry_id",
                                       (assets,)).fetchall(),
        "balances": conn.execute("SELECT account_id, asset, available, held FROM balances WHERE asset = ANY(%s)"
                                 " ORDER BY account_id, asset", (assets,)).fetchall(),
    }


def _flatten(pairs):
    return [e for m, _ in pairs for e in m], [e for _, l in pairs for e in l]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_projection_batches_and_redeliveries_end_like_one_event_at_a_time(conn, stream, seed):
    listing, per_command = stream
    one_at_a_time = [([event], []) for matcher_events, _ in per_command for event in matcher_events]
    one_at_a_time += [([], [event]) for _, ledger_events in per_command for event in ledger_events]
    expected = _project_and_read(conn, listing, one_at_a_time)
    assert expected["trades"] and expected["balances"]
    assert sum(1 for row in expected["orders"] if row[9] == "filled") > 10

    rng = random.Random(seed)
    matcher_events, ledger_events = _flatten(per_command)
    batches, m_at, l_at = [], 0, 0
    while m_at < len(matcher_events) or l_at < len(ledger_events):
        m_next, l_next = m_at + rng.randint(0, 60), l_at + rng.randint(0, 90)
        batch = (matcher_events[m_at:m_next], ledger_events[l_at:l_next])
        if rng.random() < 0.3:  # a redelivery after a restart: part of the previous batch comes again, in this one
            batch = (matcher_events[max(0, m_at - 10):m_next], ledger_events[max(0, l_at - 10):l_next])
        batches.append(batch)
        if rng.random() < 0.2:  # or the whole batch twice
            batches.append(batch)
        m_at, l_at = min(m_next, len(matcher_events)), min(l_next, len(ledger_events))
    assert _project_and_read(conn, listing, batches) == expected
