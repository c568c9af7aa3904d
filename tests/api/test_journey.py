"""The whole journey through the real flows: register, log in, faucet deposits, a resting order, a
crossing order with `wait=true`, balances and order statuses, and the websocket channels.

Nothing here is published or inserted by hand: the API writes commands to the sandbox's topics, the
ledger, matching and projection flows decide and project, and the API reads their work back.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import websockets

from api.money import units_text
from tests.api.conftest import balances, eventually, fund, register


def _ws_url(url: str, token: str | None = None) -> str:
    return url.replace("http://", "ws://") + "/ws" + (f"?token={token}" if token else "")


async def _subscribe(url: str, channel: str, token: str | None = None):
    ws = await websockets.connect(_ws_url(url, token))
    await ws.send(json.dumps({"op": "subscribe", "channels": [channel]}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "subscribed", "channels": [channel]}
    return ws


async def _relayed(ws, until, timeout_s: float = 30.0) -> list[dict]:
    """Every relayed event up to and including the first for which `until(event)` holds."""
    seen = []
    async with asyncio.timeout(timeout_s):
        while True:
            message = json.loads(await ws.recv())
            if "channel" in message:
                seen.append(message["data"])
                if until(message["data"]):
                    return seen


def test_journey_deposit_rest_cross_wait_fill_balances_statuses_and_websockets(pipeline, pclient):
    spec, url = pipeline.spec, pipeline.url
    alice, bob = register(pclient), register(pclient)
    fund(pclient, alice, spec.quote, "1000")  # 1000 quote
    fund(pclient, bob, spec.base, "10")       # 10 base
    assert balances(pclient, alice) == {spec.quote: ("1000", "0")}
    assert balances(pclient, bob) == {spec.base: ("10", "0")}

    async def scenario():
        trades_ws = await _subscribe(url, f"trades:{spec.symbol}")
        alice_ws = await _subscribe(url, "orders", alice.token)
        bob_ws = await _subscribe(url, "orders", bob.token)
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            resting = await http.post("/api/v1/orders", params={"wait": "true"}, headers=alice.auth, json={
                "symbol": spec.symbol, "side": "buy", "price": "100", "quantity": "2"})
            crossing = await http.post("/api/v1/orders", params={"wait": "true"}, headers=bob.auth, json={
                "symbol": spec.symbol, "side": "sell", "price": "99", "quantity": "1.5"})
        resting_id, crossing_id = resting.json()["order_id"], crossing.json()["order_id"]
        try:
            trades = await _relayed(trades_ws, lambda e: e["type"] == "trade")
            alice_events = await _relayed(alice_ws, lambda e: e["type"] == "trade")
            bob_events = await _relayed(bob_ws, lambda e: e["type"] == "trade")
        finally:
            for ws in (trades_ws, alice_ws, bob_ws):
                await ws.close()
        return resting, crossing, trades, alice_events, bob_events, resting_id, crossing_id

    resting, crossing, trades, alice_events, bob_events, resting_id, crossing_id = asyncio.run(scenario())

    # wait=true: the resting order's first answer is that it rests; the crossing one sees its fill
    assert resting.status_code == 201 and resting.json()["status"] == "open", resting.text
    assert crossing.status_code == 201, crossing.text
    body = crossing.json()
    assert (body["status"], body["filled_quantity"]) == ("filled", "1.5")
    [fill] = [e for e in body["events"] if e["type"] == "trade"]
    assert (fill["price"], fill["qty"], fill["maker_order_id"], fill["taker_order_id"]) == (
        10_000, 150, resting_id, crossing_id)  # at the resting order's price

    # websockets: the public trade, and each side's own order updates
    [trade] = trades
    assert (trade["symbol"], trade["price"], trade["qty"], trade["taker_side"]) == (spec.symbol, 10_000, 150, "sell")
    assert [e["type"] for e in alice_events][-1] == "trade" and any(
        e["type"] == "rested" and e["order_id"] == resting_id for e in alice_events)
    assert bob_events[-1]["taker_order_id"] == crossing_id
    assert all(crossing_id not in (e.get("order_id"), e.get("taker_order_id")) for e in alice_events[:-1])

    # order statuses, as the projection left them
    def status(user, order_id):
        return pclient.get(f"/api/v1/orders/{order_id}", headers=user.auth).json()

    eventually(lambda: status(alice, resting_id)["status"] == "partially_filled", what="alice's order status")
    assert status(alice, resting_id)["filled_quantity"] == "1.5"
    eventually(lambda: status(bob, crossing_id)["status"] == "filled", what="bob's order status")

    # balances: alice paid the notional and the maker fee, and 0.5 at 100 (plus its worst-case fee)
    # stays held; bob sold 1.5 base for the notional less the taker fee
    notional = spec.notional(10_000, 150)
    maker_fee, taker_fee = spec.fee(notional, spec.maker_fee_bps), spec.fee(notional, spec.taker_fee_bps)
    quote_units = 1000 * 10**spec.quote_decimals

    def settled():
        mine, theirs = balances(pclient, alice), balances(pclient, bob)
        return spec.base in mine and spec.quote in theirs and (mine, theirs)

    mine, theirs = eventually(settled, what="the settlement")
    available, held = (int(Decimal(x).scaleb(spec.quote_decimals)) for x in mine[spec.quote])
    assert available + held == quote_units - notional - maker_fee
    assert held >= spec.notional(10_000, 50)
    assert mine[spec.base] == ("1.5", "0")
    assert theirs == {spec.base: ("8.5", "0"), spec.quote: (units_text(notional - taker_fee, spec.quote_decimals), "0")}
