"""`wait=true`: the matcher's first answer about one order, read from `ws:orders:{account}`.

The waiter subscribes before the command is produced, so no answer can slip past. It returns at the
first decisive message: a rejection (ledger or matcher), the order resting, filling completely,
being cancelled or expiring. `accepted` alone is decisive only for stops (they wait for a trigger);
otherwise trades and the resting/filled outcome of the same match follow it at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import orjson

from api.fanout import Fanout, Subscriber
from connectors.redis.keys import orders_channel
from matcher.enums import STOP_TYPES


@dataclass(slots=True)
class Outcome:
    status: str = "pending"
    filled_lots: int = 0
    reject_reason: str | None = None
    events: list[dict] = field(default_factory=list)


def _apply(outcome: Outcome, order_id: str, order_type: str, event: dict) -> bool:
    """Fold one message about `order_id` into `outcome`; True when it decides the answer."""
    kind = event.get("type")
    if kind == "trade":
        if event.get("taker_order_id") == order_id:
            remaining = event.get("taker_remaining")
        elif event.get("maker_order_id") == order_id:
            remaining = event.get("maker_remaining")
        else:
            return False
        outcome.events.append(event)
        outcome.filled_lots += int(event.get("qty") or 0)
        outcome.status = "filled" if remaining == 0 else "partially_filled"
        return remaining == 0
    if event.get("order_id") != order_id:
        return False
    outcome.events.append(event)
    if kind in ("rejected", "ledger_rejected"):
        outcome.status, outcome.reject_reason = "rejected", event.get("reason")
        return True
    if kind == "accepted":
        outcome.status = "new"
        return order_type in STOP_TYPES
    if kind == "rested":
        outcome.status = "partially_filled" if outcome.filled_lots else "open"
        return True
    if kind in ("cancelled", "expired"):
        outcome.status = kind
        return True
    return False


class OutcomeWaiter:
    """Use as `async with OutcomeWaiter(...) as waiter:` around producing, then `await waiter.result()`."""

    def __init__(self, fanout: Fanout, account: str, order_id: str, order_type: str, timeout_ms: int) -> None:
        self.fanout, self.channel = fanout, orders_channel(account)
        self.order_id, self.order_type, self.timeout_s = order_id, order_type, timeout_ms / 1000
        self.subscriber = Subscriber(max_queued=1024)

    async def __aenter__(self) -> OutcomeWaiter:
        await self.fanout.subscribe(self.channel, self.subscriber)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.fanout.unsubscribe(self.channel, self.subscriber)

    async def result(self) -> Outcome:
        outcome = Outcome()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        while (left := deadline - loop.time()) > 0:
            try:
                _, data = await asyncio.wait_for(self.subscriber.queue.get(), left)
            except TimeoutError:
                break
            try:
                event = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if isinstance(event, dict) and _apply(outcome, self.order_id, self.order_type, event):
                break
        return outcome
