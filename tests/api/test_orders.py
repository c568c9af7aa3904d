"""Order intake and queries against the real API, Kafka, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from connectors.postgres.pool import connect
from tests.api.conftest import balances, eventually, order, register
from tests.api.kafka_reader import CommandLog


def test_place_returns_pending_at_once_and_writes_the_command_keyed_by_account(api_kafka, client, alice):
    log = CommandLog(api_kafka)
    try:
        placed = client.post("/api/v1/orders", json=order(price="65000.25", quantity="0.5"), headers=alice.auth)
        assert placed.status_code == 201, placed.text
        body = placed.json()
        assert (body["status"], body["price"], body["quantity"], body["filled_quantity"]) == \
            ("pending", "65000.25", "0.5", "0")
        [(key, command)] = log.read(alice.account_id)
    finally:
        log.close()
    assert key == alice.account_id.encode()
    assert command["type"] == "place" and command["v"] == 1
    assert (command["order_id"], command["account"], command["price"], command["qty"]) == \
        (body["order_id"], alice.account_id, 6_500_025, 5_000)
    assert abs(command["ts_ns"] - time.time_ns()) < 60 * 10**9 and command["cmd_id"] != command["order_id"]
    stored = client.get(f"/api/v1/orders/{body['order_id']}", headers=alice.auth).json()
    assert stored["status"] == "pending" and stored["order_id"] == body["order_id"]


def test_client_order_id_makes_placing_idempotent(api_kafka, client, alice):
    log = CommandLog(api_kafka)
    try:
        first = client.post("/api/v1/orders", json=order(client_order_id="mine-1"), headers=alice.auth)
        again = client.post("/api/v1/orders", json=order(client_order_id="mine-1", price="64000"), headers=alice.auth)
        commands = log.read(alice.account_id)
    finally:
        log.close()
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"] and again.json()["price"] == "65000.25"
    assert len(commands) == 1


@pytest.mark.parametrize(("fields", "code"), [
    ({"price": "65000.255"}, "INVALID_PRICE"),
    ({"quantity": "0.00001"}, "INVALID_QUANTITY"),
    ({"quantity": "0"}, "INVALID_QUANTITY"),
    ({"price": "0.01", "quantity": "0.0001"}, "BELOW_MIN_NOTIONAL"),
    ({"symbol": "DOGE-USDT"}, "UNKNOWN_SYMBOL"),
    ({"type": "market", "time_in_force": "IOC", "price": None}, "MARKET_BUY_UNBOUNDED"),
    ({"time_in_force": "GTD"}, "INVALID_EXPIRY"),
    ({"type": "market", "time_in_force": "GTC", "price": None, "quote_budget": "100"}, "INVALID_TIME_IN_FORCE"),
])
def test_place_refuses_what_is_off_the_symbols_grid_with_400_and_a_code(client, alice, fields, code):
    response = client.post("/api/v1/orders", json=order(**fields), headers=alice.auth)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code and response.json()["message"]


def test_malformed_body_is_422_json_with_code_and_message(client, alice):
    for body in ({"symbol": "BTC-USDT"}, order(price=65000.25), order(price="1e5"), order(side="hold")):
        response = client.post("/api/v1/orders", json=body, headers=alice.auth)
        assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    raw = client.post("/api/v1/orders", content=b"{not json", headers={**alice.auth, "Content-Type": "application/json"})
    assert raw.status_code == 422 and raw.json()["code"] == "VALIDATION_ERROR"


def test_another_users_order_is_404_to_read_cancel_or_amend(client, alice, bob):
    order_id = client.post("/api/v1/orders", json=order(), headers=alice.auth).json()["order_id"]
    for method, body in (("GET", None), ("DELETE", None), ("PATCH", {"quantity": "0.005"})):
        response = client.request(method, f"/api/v1/orders/{order_id}", json=body, headers=bob.auth)
        missing = client.request(method, "/api/v1/orders/0000000000000000aaaaaaaaaaaa", json=body, headers=bob.auth)
        assert response.status_code == missing.status_code == 404
        assert response.json() == missing.json() == {"code": "ORDER_NOT_FOUND", "message": "order not found"}
    assert client.get("/api/v1/orders", headers=bob.auth).json() == {"data": [], "count": 0}
    assert client.get(f"/api/v1/orders/{order_id}", headers=alice.auth).status_code == 200


def test_cancel_and_amend_write_commands_for_your_own_order(api_kafka, client, alice):
    order_id = client.post("/api/v1/orders", json=order(), headers=alice.auth).json()["order_id"]
    log = CommandLog(api_kafka)
    try:
        amended = client.patch(f"/api/v1/orders/{order_id}", json={"price": "64000", "quantity": "0.005"},
                               headers=alice.auth)
        cancelled = client.delete(f"/api/v1/orders/{order_id}", headers=alice.auth)
        commands = [command for _, command in log.read(alice.account_id)]
    finally:
        log.close()
    assert (amended.status_code, amended.json()["status"]) == (202, "amend_requested")
    assert (cancelled.status_code, cancelled.json()["status"]) == (202, "cancel_requested")
    assert [(c["type"], c["order_id"]) for c in commands] == [("amend", order_id), ("cancel", order_id)]
    assert (commands[0]["price"], commands[0]["qty"]) == (6_400_000, 50)
    bad = client.patch(f"/api/v1/orders/{order_id}", json={"price": "1.001"}, headers=alice.auth)
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PRICE"
    empty = client.patch(f"/api/v1/orders/{order_id}", json={}, headers=alice.auth)
    assert empty.status_code == 400 and empty.json()["code"] == "AMEND_NO_CHANGE"


def test_sql_injection_strings_are_stored_and_returned_literally(stack, client, alice):
    nasty = "x'); DROP TABLE orders; --"
    placed = client.post("/api/v1/orders", json=order(client_order_id=nasty), headers=alice.auth)
    assert placed.status_code == 201 and placed.json()["client_order_id"] == nasty
    listed = client.get("/api/v1/orders", params={"symbol": "BTC-USDT' OR '1'='1", "status": "pending"},
                        headers=alice.auth)
    assert listed.status_code == 200 and listed.json()["count"] == 0
    mine = client.get("/api/v1/orders", params={"symbol": "BTC-USDT"}, headers=alice.auth).json()
    assert [o["client_order_id"] for o in mine["data"]] == [nasty]
    email = f"o'brien+{time.time_ns()}';DELETE/**/FROM/**/users;--@example.com"
    user = register(client, email, "password123")
    assert client.get("/api/v1/auth/me", headers=user.auth).json()["email"] == email.lower()
    with connect(stack.postgres) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] > 1


def test_list_filters_and_paginates_newest_first(client, alice):
    ids = [client.post("/api/v1/orders", json=order(side=side, symbol=symbol, price=price), headers=alice.auth
                       ).json()["order_id"]
           for side, symbol, price in (("buy", "BTC-USDT", "60000"), ("sell", "BTC-USDT", "70000"),
                                       ("buy", "ETH-USDT", "3000"))]
    everything = client.get("/api/v1/orders", headers=alice.auth).json()
    assert everything["count"] == 3 and [o["order_id"] for o in everything["data"]] == ids[::-1]
    sells = client.get("/api/v1/orders", params={"side": "sell"}, headers=alice.auth).json()
    assert [o["order_id"] for o in sells["data"]] == [ids[1]]
    page = client.get("/api/v1/orders", params={"limit": 1, "offset": 1, "symbol": "BTC-USDT"},
                      headers=alice.auth).json()
    assert page["count"] == 2 and [o["order_id"] for o in page["data"]] == [ids[0]]


def test_wait_answers_the_ledgers_rejection_when_funds_are_short(pipeline, pclient):
    """`wait=true` against the real flows: no funds, so the ledger rejects and nothing reaches a book
    (the fill case is in the journey test)."""
    spec, carol = pipeline.spec, register(pclient)
    placed = pclient.post("/api/v1/orders", params={"wait": "true"}, headers=carol.auth,
                          json={"symbol": spec.symbol, "side": "buy", "price": "1", "quantity": "1"})
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert (body["status"], body["reject_reason"]) == ("rejected", "INSUFFICIENT_FUNDS")
    assert [e["type"] for e in body["events"]] == ["ledger_rejected"]
    eventually(lambda: pclient.get(f"/api/v1/orders/{body['order_id']}", headers=carol.auth).json()["status"]
               == "rejected", what="the rejected order's status")
    assert balances(pclient, carol) == {}


def test_wait_times_out_as_pending_when_nothing_answers(client, alice):
    started = time.monotonic()
    placed = client.post("/api/v1/orders", params={"wait": "true"}, json=order(), headers=alice.auth)
    assert placed.status_code == 201 and placed.json()["status"] == "pending"
    assert 1.5 < time.monotonic() - started < 5


def test_more_than_ten_orders_a_second_is_429_with_retry_after(api_server, alice):
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=api_server.url, timeout=10) as http:
            return await asyncio.gather(*(http.post("/api/v1/orders", json=order(), headers=alice.auth)
                                          for _ in range(14)))

    statuses = sorted(response.status_code for response in asyncio.run(burst()))
    assert statuses.count(201) <= 10 and statuses.count(429) >= 4
    limited = next(r for r in asyncio.run(burst()) if r.status_code == 429)
    assert limited.json()["code"] == "RATE_LIMITED" and int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["x-content-type-options"] == "nosniff"


def test_order_book_of_an_unlisted_symbol_is_404(client):
    """The book's content is checked in the journey test, where the real projection writes it."""
    book = client.get("/api/v1/orders/book/SOL-USDT", params={"depth": 5})
    assert book.status_code == 200 and set(book.json()) == {"symbol", "seq", "bids", "asks"}
    assert client.get("/api/v1/orders/book/NOPE-USDT").json()["code"] == "UNKNOWN_SYMBOL"
