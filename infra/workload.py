"""Seeded streams of synthetic trader commands, for the pipeline benchmark, tests and the simulator.

Traders deposit first (enough that no order is refused for funds), then place limit orders around a
slowly drifting mid (most resting, some crossing), immediate-or-cancel orders that take liquidity,
and cancels of their earlier orders. Same seed, same commands: ids and event times are derived from
the position in the stream, never from the clock or a random id.
"""

from __future__ import annotations

import random
from typing import Iterator, Mapping

from matcher.commands import CancelOrder, Deposit, PlaceOrder
from matcher.enums import GTC, IOC
from matcher.symbols import SymbolSpec

CANCEL_SHARE = 0.10
TAKER_SHARE = 0.15
MAX_LOTS = 20
SPREAD_TICKS = 20


def synthetic_commands(
    listing: Mapping[str, SymbolSpec], *, accounts: int, orders: int, seed: int, start_ns: int,
    id_prefix: str = "", mid_ticks: int = 10_000, mids: Mapping[str, int] | None = None,
) -> Iterator:
    """Deposits for every account, then `orders` order commands (places and cancels). Each symbol
    opens at `mids[symbol]` if given, else at `mid_ticks`."""
    rng = random.Random(seed)
    names = [f"{id_prefix}trader{i}" for i in range(accounts)]
    symbols = sorted(listing)
    prices = {symbol: _opening_mid(listing[symbol], (mids or {}).get(symbol, mid_ticks)) for symbol in symbols}
    ts = start_ns
    funding = _funding(listing, orders, max(prices.values()))
    for account in names:
        for asset, amount in sorted(funding.items()):
            ts += 1_000
            yield Deposit(cmd_id=f"{id_prefix}dep-{account}-{asset}", ts_ns=ts, account=account, asset=asset,
                          amount=amount)
    live: list[tuple[str, str, str]] = []  # (account, symbol, order_id) of orders that may still rest
    for n in range(orders):
        ts += 1_000
        cmd_id = f"{id_prefix}cmd{n}"
        roll = rng.random()
        if roll < CANCEL_SHARE and live:
            account, symbol, order_id = live.pop(rng.randrange(len(live)))
            yield CancelOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=symbol, order_id=order_id)
            continue
        symbol = rng.choice(symbols)
        prices[symbol] = mid = max(SPREAD_TICKS * 2, prices[symbol] + rng.randint(-1, 1))
        side = rng.choice(("buy", "sell"))
        sign = 1 if side == "buy" else -1
        account, order_id = rng.choice(names), f"{id_prefix}ord{n}"
        qty = rng.randint(1, MAX_LOTS)
        if roll < CANCEL_SHARE + TAKER_SHARE:
            price = mid + sign * rng.randint(1, SPREAD_TICKS)  # crosses into the other side
            yield PlaceOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=symbol, order_id=order_id,
                             side=side, price=price, qty=qty, tif=IOC)
        else:
            price = mid - sign * rng.randint(-2, SPREAD_TICKS)  # mostly passive, sometimes crossing
            live.append((account, symbol, order_id))
            yield PlaceOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=symbol, order_id=order_id,
                             side=side, price=price, qty=qty, tif=GTC)


def _opening_mid(spec: SymbolSpec, mid_ticks: int) -> int:
    """`mid_ticks`, or higher where one lot at a price below the mid would miss the minimum notional."""
    floor = -(-spec.min_notional // spec.quote_per_tick_lot)
    return max(mid_ticks, 2 * floor + SPREAD_TICKS * 4)


def _funding(listing: Mapping[str, SymbolSpec], orders: int, mid_ticks: int) -> dict[str, int]:
    """Per account and asset: enough for every order of the stream to be placed by one account."""
    funding: dict[str, int] = {}
    top_price = mid_ticks + orders + SPREAD_TICKS * 2  # the mid moves at most one tick per order
    for spec in listing.values():
        funding[spec.quote] = max(funding.get(spec.quote, 0), spec.buy_hold(top_price, MAX_LOTS) * orders)
        funding[spec.base] = max(funding.get(spec.base, 0), MAX_LOTS * spec.base_per_lot * orders)
    return funding
