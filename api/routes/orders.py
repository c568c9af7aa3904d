"""Order entry and queries. Intake validates against the symbol's grid, records the `pending` order,
writes the command to Kafka and answers; the ledger and the matcher decide everything else.

A user only ever sees their own orders: every lookup is by (order id, their account), so someone
else's order id answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from api import errors
from api.deps import (Conn, CurrentUser, Intake, Limiter, Listing, Pool, RedisDep, RuntimeDep, SettingsDep,
                      symbol_spec)
from api.errors import ApiError
from api.ids import new_id
from api.outcome import OutcomeWaiter
from api.ratelimit import ORDER_LIMIT_COUNTED, order_bucket
from api.schemas.common import ID_PATTERN
from api.schemas.orders import (BookPublic, OrderAmend, OrderCommandPublic, OrderCreate, OrderPlaced, OrderPublic,
                                OrdersPublic, OrderStatus)
from api.runtime import Runtime
from api.security import Principal
from api.store import orders
from connectors.kafka.errors import KafkaError
from connectors.redis import keys
from matcher import codes
from matcher.commands import AmendOrder, CancelOrder, PlaceOrder
from matcher.engine import check_place
from matcher.symbols import IncrementError, SymbolSpec

router = APIRouter(prefix="/orders", tags=["orders"])
OrderId = Annotated[str, Path(pattern=ID_PATTERN)]


def _refused(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


async def _order_limit(request: Request, limiter: Limiter, principal: Principal, default_per_s: int) -> None:
    if request.scope.get("state", {}).get(ORDER_LIMIT_COUNTED):
        return  # counted by the perimeter together with the general limit (bearer requests)
    await limiter.enforce(order_bucket(principal, default_per_s))


def _to_command(body: OrderCreate, spec: SymbolSpec, account: str, ts_ns: int) -> PlaceOrder:
    try:
        command = PlaceOrder(
            cmd_id=new_id(ts_ns), ts_ns=ts_ns, account=account, symbol=spec.symbol, order_id=new_id(ts_ns),
            side=body.side, qty=spec.qty_to_lots(body.quantity), order_type=body.type, tif=body.time_in_force,
            price=None if body.price is None else spec.price_to_ticks(body.price),
            stop_price=None if body.stop_price is None else spec.price_to_ticks(body.stop_price),
            quote_budget=None if body.quote_budget is None else spec.amount_to_units(spec.quote, body.quote_budget),
            expire_ns=None if body.expire_at is None else int(body.expire_at.timestamp() * 1_000_000) * 1_000,
            post_only=body.post_only, stp=body.self_trade_prevention,
        )
    except IncrementError as exc:
        raise _refused(exc.code, str(exc)) from None
    code = check_place(spec, command, ts_ns)
    if code is not None:
        raise _refused(code, f"the order is not valid for {spec.symbol}: {code}")
    return command


@router.post("", status_code=201, response_model=OrderPlaced,
             responses={200: {"model": OrderPlaced, "description": "client_order_id seen before: the first order"}})
async def place_order(request: Request, body: OrderCreate, principal: CurrentUser, runtime: RuntimeDep,
                      wait: Annotated[bool, Query(description="answer after the matcher's first answer")] = False,
                      ) -> Response:
    """Place an order: `pending` at once, or with `wait=true` the first decisive answer (or a timeout)."""
    # The answer is serialized once by its model rather than validated again against `response_model`.
    # Bearer requests without `wait` usually do not get here: `api.order_entry` serves them (same `place`).
    status, placed = await place(runtime, principal, body, wait,
                                 request.scope.get("state", {}).get(ORDER_LIMIT_COUNTED, False))
    return _json(placed, status)


async def place(runtime: Runtime, principal: Principal, body: OrderCreate, wait: bool,
                order_limit_counted: bool) -> tuple[int, OrderPlaced]:
    """Order intake: the orders limit (unless the perimeter counted it), the symbol's grid, the pending
    row, the acknowledged command and, with `wait`, the first decisive answer. (HTTP status, order)."""
    settings = runtime.settings
    if not order_limit_counted:
        await runtime.limiter.enforce(order_bucket(principal, settings.orders_per_s))
    spec = runtime.listing.get(body.symbol)
    if spec is None:
        raise _refused(codes.UNKNOWN_SYMBOL, f"no listed symbol {body.symbol!r}")
    command = _to_command(body, spec, principal.account_id, time.time_ns())
    if not await runtime.pending.record(command, body.client_order_id):
        # the same client_order_id again: answer with the first order, send nothing
        async with runtime.pool.connection() as conn:
            first = await orders.by_client_id(conn, principal.account_id, body.client_order_id)
        return 200, OrderPlaced.from_row(first, spec)
    placed = OrderPlaced.from_row(orders.pending_row(command, body.client_order_id), spec)
    if not wait:
        await _submit_or_fail(runtime.intake, runtime.pool, command)
        return 201, placed
    async with OutcomeWaiter(runtime.fanout, principal.account_id, command.order_id, command.order_type,
                             settings.wait_timeout_ms) as waiter:
        await _submit_or_fail(runtime.intake, runtime.pool, command)
        outcome = await waiter.result()
    return 201, placed.model_copy(update={
        "status": outcome.status, "reject_reason": outcome.reject_reason, "events": outcome.events,
        "filled_quantity": spec.lots_to_qty(outcome.filled_lots)})


def _json(model: BaseModel, status: int) -> Response:
    return Response(model.model_dump_json(), status, media_type="application/json")


async def _submit_or_fail(intake: Intake, pool: Pool, command) -> None:
    try:
        await intake.submit(command)
    except (KafkaError, TimeoutError) as exc:
        async with pool.connection() as conn:
            await orders.mark_intake_failed(conn, command.order_id, "INTAKE_UNAVAILABLE")
        raise ApiError(503, errors.SERVICE_UNAVAILABLE, f"the order could not be queued: {exc}",
                       headers={"Retry-After": "1"}) from None


@router.get("", response_model=OrdersPublic)
async def list_orders(
    principal: CurrentUser, conn: Conn, listing: Listing,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    status: OrderStatus | None = None,
    side: Literal["buy", "sell"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> OrdersPublic:
    """Your orders, newest first."""
    rows, count = await orders.page(conn, principal.account_id, symbol=symbol, status=status, side=side,
                                    limit=limit, offset=offset)
    return OrdersPublic(data=[OrderPublic.from_row(row, listing[row["symbol"]]) for row in rows], count=count)


@router.get("/book/{symbol}", response_model=BookPublic, tags=["market"])
async def order_book(symbol: Annotated[str, Path(max_length=32)], redis: RedisDep, listing: Listing,
                     depth: Annotated[int, Query(ge=1, le=500)] = 50) -> BookPublic:
    """The L2 book from Redis (as the projection keeps it): price levels with their resting quantity."""
    spec = symbol_spec(listing, symbol)
    async with redis.pipeline(transaction=True) as pipe:  # one consistent snapshot of both sides
        bids, asks, seq = await pipe.hgetall(keys.book_side(symbol, "buy")).hgetall(
            keys.book_side(symbol, "sell")).get(keys.book_seq(symbol)).execute()

    def levels(side: dict, best_first_desc: bool) -> list[tuple[str, str]]:
        ordered = sorted(((int(p), int(q)) for p, q in side.items() if int(q) > 0), reverse=best_first_desc)
        return [(spec.ticks_to_price(p), spec.lots_to_qty(q)) for p, q in ordered[:depth]]

    return BookPublic(symbol=symbol, seq=int(seq or 0), bids=levels(bids, True), asks=levels(asks, False))


@router.get("/{order_id}", response_model=OrderPublic)
async def get_order(order_id: OrderId, principal: CurrentUser, conn: Conn, listing: Listing) -> OrderPublic:
    row = await orders.by_id(conn, principal.account_id, order_id)
    if row is None:
        raise errors.not_found(errors.ORDER_NOT_FOUND, "order")
    return OrderPublic.from_row(row, listing[row["symbol"]])


async def _open_order(pool: Pool, principal: Principal, order_id: str) -> dict:
    async with pool.connection() as conn:
        row = await orders.by_id(conn, principal.account_id, order_id)
    if row is None:
        raise errors.not_found(errors.ORDER_NOT_FOUND, "order")
    if row["status"] in orders.CLOSED:
        raise ApiError(409, errors.ORDER_CLOSED, f"the order is {row['status']}")
    return row


@router.delete("/{order_id}", status_code=202, response_model=OrderCommandPublic)
async def cancel_order(request: Request, order_id: OrderId, principal: CurrentUser, pool: Pool, intake: Intake, limiter: Limiter,
                       settings: SettingsDep) -> OrderCommandPublic:
    """Ask to cancel the order's remainder; the outcome arrives on the `orders` websocket channel."""
    await _order_limit(request, limiter, principal, settings.orders_per_s)
    row = await _open_order(pool, principal, order_id)
    ts_ns = time.time_ns()
    command = CancelOrder(cmd_id=new_id(ts_ns), ts_ns=ts_ns, account=principal.account_id, symbol=row["symbol"],
                          order_id=order_id)
    await intake.submit(command)
    return OrderCommandPublic(order_id=order_id, cmd_id=command.cmd_id, status="cancel_requested")


@router.patch("/{order_id}", status_code=202, response_model=OrderCommandPublic)
async def amend_order(request: Request, order_id: OrderId, body: OrderAmend,
                      principal: CurrentUser, pool: Pool, intake: Intake,
                      limiter: Limiter, listing: Listing, settings: SettingsDep) -> OrderCommandPublic:
    """Change price and/or total quantity (a quantity decrease keeps time priority)."""
    if body.price is None and body.quantity is None:
        raise _refused(codes.AMEND_NO_CHANGE, "give a new price, a new quantity or both")
    await _order_limit(request, limiter, principal, settings.orders_per_s)
    row = await _open_order(pool, principal, order_id)
    spec = listing[row["symbol"]]
    try:
        price = None if body.price is None else spec.price_to_ticks(body.price)
        qty = None if body.quantity is None else spec.qty_to_lots(body.quantity)
    except IncrementError as exc:
        raise _refused(exc.code, str(exc)) from None
    ts_ns = time.time_ns()
    command = AmendOrder(cmd_id=new_id(ts_ns), ts_ns=ts_ns, account=principal.account_id, symbol=row["symbol"],
                         order_id=order_id, price=price, qty=qty)
    await intake.submit(command)
    return OrderCommandPublic(order_id=order_id, cmd_id=command.cmd_id, status="amend_requested")
