"""`fasttrading bench api`: authenticated order placement over loopback, through the whole intake.

Each request is a JWT-authenticated `POST /api/v1/orders` (limit buy far below the market, so it
would rest), going through the security headers, body limit, Redis rate limits (the benchmark user's
limits raised via `users.requests_per_min` / `orders_per_s`), validation, the `pending` insert into
PostgreSQL and an acks=all Kafka produce that is awaited before the answer. `connections` clients
(one keep-alive HTTP/1.1 connection each, on a lean asyncio protocol) send back to back for `orders`
requests after a short warm-up. The spawned API runs `FASTTRADING_API_WORKERS` uvicorn workers (default:
half the cores, see `main`). Prints one JSON object as its last line:
`{"requests": N, "orders_per_s": X, "p50_ms": X, "p99_ms": X, "errors": N}`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

import httpx
import orjson
import uvloop

from api.server import spawn
from connectors.postgres.pool import connect
from connectors.kafka.client import delete_topics, ensure_topics
from connectors.settings import KafkaSettings, PostgresSettings, load

BENCH_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
ORDER = orjson.dumps({"symbol": "BTC-USDT", "side": "buy", "price": "1000.00", "quantity": "0.01"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bench_user(url: str) -> tuple[str, str]:
    """Register a user, raise its limits; its account id and a bearer token that carries the limits."""
    email, password = f"bench-{uuid.uuid4().hex[:10]}@example.com", "benchmark-password"
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post("/api/v1/auth/register", json={"email": email, "password": password})
        created.raise_for_status()
        with connect(load(PostgresSettings)) as conn:
            conn.execute("UPDATE users SET requests_per_min = 100000000, orders_per_s = 1000000 WHERE user_id = %s",
                         (created.json()["user_id"],))
        token = http.post("/api/v1/auth/login", json={"email": email, "password": password})
        token.raise_for_status()
        return created.json()["account_id"], token.json()["access_token"]


def _forget(account_id: str) -> None:
    """The benchmark's orders were never meant to trade (no flow reads its topics): delete them and
    the user, so the shared tables keep no order that will stay pending for ever."""
    with connect(load(PostgresSettings)) as conn, conn.transaction():
        conn.execute("DELETE FROM orders WHERE account_id = %s AND status = 'pending'", (account_id,))
        conn.execute("DELETE FROM users WHERE account_id = %s", (account_id,))


class _Run:
    """`total` requests shared by a pool of connections: each takes the next as soon as its previous
    answer is in; the run is over when every connection has stopped."""

    def __init__(self, pool: list[_Connection], total: int) -> None:
        self.remaining, self.busy = total, len(pool)
        self.latencies: list[float] = []
        self.errors = 0
        self.finished = asyncio.get_running_loop().create_future()
        for connection in pool:
            connection.start(self)

    def take(self) -> bool:
        """True: the caller sends one more request; False: none left, the caller stops."""
        if self.remaining > 0:
            self.remaining -= 1
            return True
        self.stop()
        return False

    def stop(self) -> None:
        self.busy -= 1
        if self.busy == 0:
            self.finished.set_result(None)

    def answered(self, latency_s: float, ok: bool) -> None:
        self.latencies.append(latency_s)
        self.errors += not ok


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends a prepared request, reads the answer's status and
    sends the next one from the event loop's callback itself (no task or future per request).

    The load generator shares the machine's cores with the server, so it must cost far less per
    request than what it measures: httpx spends more CPU per request than the API's whole intake."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.run: _Run | None = None
        self.sent_at: float | None = None  # while a request is unanswered

    def connection_made(self, transport) -> None:
        self.transport = transport

    def start(self, run: _Run) -> None:
        self.run = run
        self._send_next()

    def _send_next(self) -> None:
        if self.transport.is_closing():
            self.run.stop()
        elif self.run.take():
            self.sent_at = time.perf_counter()
            self.transport.write(self.raw)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.sent_at is None:
            return
        length = _content_length(bytes(self.buffer[:end]))
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:end + 4 + length]
        self.run.answered(time.perf_counter() - self.sent_at, status == 201)
        self.sent_at = None
        self._send_next()

    def connection_lost(self, exc) -> None:
        if self.sent_at is not None:  # the server closed it with a request unanswered
            self.run.answered(time.perf_counter() - self.sent_at, False)
            self.sent_at = None
            self.run.stop()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def _drive(url: str, token: str, total: int, connections: int) -> tuple[list[float], int, float]:
    host, port = url.removeprefix("http://").split(":")
    raw = (f"POST /api/v1/orders HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(ORDER)}\r\n\r\n").encode() + ORDER
    loop = asyncio.get_running_loop()
    pool = [(await loop.create_connection(lambda: _Connection(raw), host, int(port)))[1] for _ in range(connections)]
    try:
        await _Run(pool, min(500, total)).finished  # warm-up: connections, pools, caches
        started = time.perf_counter()
        run = _Run(pool, total)
        await run.finished
        elapsed = time.perf_counter() - started
    finally:
        for connection in pool:
            connection.transport.close()
    return run.latencies, run.errors, elapsed


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main(orders: int = 20_000, connections: int = 64, url: str | None = None, workers: int | None = None) -> dict:
    """Spawns its own API (unless `url`) on topics of its own (`bench<hex>.`, deleted afterwards), so
    the commands it writes never reach the platform's flows; its user and orders are deleted after."""
    server, kafka = None, None
    if url is None:
        kafka = load(KafkaSettings).model_copy(update={"topic_prefix": f"bench{uuid.uuid4().hex[:8]}."})
        ensure_topics(kafka)
        # Half the cores by default: the load generator, Kafka, PostgreSQL and Redis run on this machine
        # too, and on two cores one worker places more orders than two that fight them for the CPU.
        workers = workers or int(os.environ.get("FASTTRADING_API_WORKERS", "0")) or max(1, (os.cpu_count() or 2) // 2)
        env = {"FASTTRADING_API_PORT": str(_free_port()), "FASTTRADING_API_WORKERS": str(workers),
               "FASTTRADING_API_IP_REQUESTS_PER_MIN": "1000000", "FASTTRADING_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
               "FASTTRADING_PG_POOL_MAX_SIZE": os.environ.get("FASTTRADING_PG_POOL_MAX_SIZE", "16")}
        if os.environ.get("FASTTRADING_ENV", "dev") != "dev" and "FASTTRADING_API_SECRET_KEY" not in os.environ:
            env["FASTTRADING_API_SECRET_KEY"] = BENCH_SECRET
        server = spawn(env)
        url = server.url
    account_id = None
    try:
        account_id, token = _bench_user(url)
        latencies, errors, elapsed = uvloop.run(_drive(url, token, orders, connections))
    finally:
        if server is not None:
            server.stop()
            if account_id is not None:
                _forget(account_id)
            delete_topics(kafka)
    latencies.sort()
    result = {"requests": len(latencies), "orders_per_s": round(len(latencies) / elapsed, 1),
              "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
              "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2), "errors": errors}
    print(orjson.dumps(result).decode())
    return result
