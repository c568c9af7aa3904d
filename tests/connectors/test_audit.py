"""The conservation audit on the real schema; each case runs in a transaction that is rolled back."""

import uuid

import pytest

from connectors.postgres.audit import audit
from connectors.postgres.pool import connect
from connectors.postgres.projections import project
from matcher.ledger import AVAILABLE, CLEARING, EXTERNAL, HELD, journal


@pytest.fixture
def conn(stack):
    with connect(stack.postgres) as conn, conn.transaction(force_rollback=True):
        yield conn


def _asset() -> str:
    return f"AUDIT{uuid.uuid4().hex[:8].upper()}"


def _deposit_and_hold(asset: str) -> list[tuple]:
    return [journal("alice", f"{asset}-d:0", 1, "deposit", None, asset, 100, EXTERNAL, AVAILABLE, "alice", AVAILABLE),
            journal("alice", f"{asset}-h:0", 2, "hold", "o1", asset, 40, "alice", AVAILABLE, "alice", HELD)]


def test_a_consistent_journal_passes(conn):
    asset = _asset()
    project(conn, [], _deposit_and_hold(asset))
    assert audit(conn, assets=[asset]) == []


def test_withdrawals_count_against_deposits(conn):
    asset = _asset()
    project(conn, [], _deposit_and_hold(asset) + [
        journal("alice", f"{asset}-w:0", 3, "withdraw", None, asset, 30, "alice", AVAILABLE, EXTERNAL, AVAILABLE)])
    assert audit(conn, assets=[asset]) == []
    assert conn.execute("SELECT available, held FROM balances WHERE account_id = 'alice' AND asset = %s",
                        (asset,)).fetchone() == (30, 40)


def test_a_balance_that_drifted_from_the_journal_is_named(conn):
    asset = _asset()
    project(conn, [], _deposit_and_hold(asset))
    conn.execute("UPDATE balances SET available = available + 1 WHERE account_id = 'alice' AND asset = %s", (asset,))
    checks = {(f.asset, f.check) for f in audit(conn, assets=[asset])}
    assert checks == {(asset, "conservation"), (asset, "projection")}


def test_a_half_settled_trade_fails_unless_live(conn):
    asset = _asset()
    project(conn, [], _deposit_and_hold(asset) + [
        journal("alice", f"{asset}-t:0", 3, "settle", "o1", asset, 40, "alice", HELD, CLEARING, AVAILABLE)])
    assert [(f.asset, f.check) for f in audit(conn, assets=[asset])] == [(asset, "clearing")]
    assert audit(conn, assets=[asset], live=True) == []


def test_replayed_journal_entries_move_balances_once(conn):
    asset = _asset()
    entries = _deposit_and_hold(asset)
    project(conn, [], entries)
    project(conn, [], entries)  # a flow replaying after a restart
    assert conn.execute("SELECT available, held FROM balances WHERE account_id = 'alice' AND asset = %s",
                        (asset,)).fetchone() == (60, 40)
