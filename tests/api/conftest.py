"""A real API (uvicorn in a child process) on a free loopback port, on the real stack.

The session server keeps the production defaults (100 requests/min per user, 10 orders/s per
account) except the per-address limit for unauthenticated requests, which every test shares from
127.0.0.1; its own test raises nothing. Each test registers fresh users, so limits never collide.

Two servers, so no test ever fakes what the flows own (balances, journal lines, trades, order states):
- `api_server`: the API alone, on topics of its own (`tapi<hex>.` prefix) that no flow reads, with the
  default listing. For the perimeter, auth and intake: what it writes stays `pending`.
- `pipeline`: an `infra.sandbox.Sandbox` (own topic prefix, own listing of unique symbols and assets,
  own recovery directory) running the real ledger, matching and projection flows, and an API on the
  same topics and listing. Every balance, trade and order state a test reads there is the flows' work.
At the end of the session the users the tests registered are deleted with their keys, wallets,
orders and transfers (journal lines and trades are append-only and stay, in the sandbox's assets,
consistent with their balances, so `fasttrading audit` still holds).
"""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from api.server import ApiProcess, spawn
from connectors.kafka.client import delete_topics, ensure_topics
from connectors.postgres.pool import connect
from connectors.settings import KafkaSettings
from infra.sandbox import Sandbox
from matcher.symbols import SymbolSpec

SECRET = "test-secret-0123456789abcdef0123456789abcdef"
NONCE_TTL_S = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_env(port: int, **extra: str) -> dict[str, str]:
    return {"FASTTRADING_ENV": "test", "FASTTRADING_API_SECRET_KEY": SECRET, "FASTTRADING_API_PORT": str(port),
            "FASTTRADING_API_FAUCET": "true", "FASTTRADING_API_IP_REQUESTS_PER_MIN": "100000",
            "FASTTRADING_API_WALLET_NONCE_TTL_S": str(NONCE_TTL_S), **extra}


@pytest.fixture(scope="session", autouse=True)
def forget_users(stack):
    """After the session, delete what no flow completed for the users it registered: their pending
    orders and transfers (commands on topics no flow reads), API keys, wallets and the users. What the
    flows wrote (journal lines, trades, balances, decided orders) stays: it is append-only or must
    keep agreeing with the journal for `fasttrading audit`."""
    yield
    if not REGISTERED:
        return
    accounts = sorted(REGISTERED)
    with connect(stack.postgres) as conn, conn.transaction():
        conn.execute("DELETE FROM orders WHERE account_id = ANY(%s) AND status = 'pending'", (accounts,))
        conn.execute("DELETE FROM transfers t WHERE account_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM ledger_entries e"
                     " WHERE e.account_id = t.account_id AND e.command_id = t.cmd_id || ':0')", (accounts,))
        users = "SELECT user_id FROM users WHERE account_id = ANY(%s)"
        conn.execute(f"DELETE FROM api_keys WHERE user_id IN ({users})", (accounts,))
        conn.execute(f"DELETE FROM wallets WHERE user_id IN ({users})", (accounts,))
        conn.execute("DELETE FROM users WHERE account_id = ANY(%s)", (accounts,))


@pytest.fixture(scope="session")
def api_kafka(stack) -> Iterator[KafkaSettings]:
    """The session server's topics: a prefix of their own, so no flow ever reads its commands."""
    kafka = stack.kafka.model_copy(update={"topic_prefix": f"tapi{uuid.uuid4().hex[:8]}."})
    ensure_topics(kafka)
    yield kafka
    delete_topics(kafka)


@pytest.fixture(scope="session")
def api_server(stack, api_kafka, tmp_path_factory) -> ApiProcess:
    log = Path(tmp_path_factory.mktemp("api")) / "api.log"
    server = spawn(api_env(free_port(), FASTTRADING_KAFKA_TOPIC_PREFIX=api_kafka.topic_prefix), log_path=log)
    yield server
    server.stop()


@dataclass
class Pipeline:
    sandbox: Sandbox
    server: ApiProcess
    spec: SymbolSpec  # the sandbox's first symbol

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def pipeline(stack, tmp_path_factory) -> Pipeline:
    """The real flows on a sandbox, and an API on its topics and listing (see the module docstring)."""
    directory = Path(tmp_path_factory.mktemp("pipeline"))
    sandbox = Sandbox(stack, directory)
    try:
        for name in ("ledger", "matching", "projections"):
            sandbox.start(name)
        # `wait=true` crosses four flow hops; on a loaded machine the first answers can take seconds.
        server = spawn({**sandbox.env, **api_env(free_port(), FASTTRADING_API_WAIT_TIMEOUT_MS="20000")},
                       log_path=directory / "api.log")
    except BaseException:
        sandbox.stop()
        raise
    yield Pipeline(sandbox, server, next(iter(sandbox.listing.values())))
    server.stop()
    sandbox.close()


@pytest.fixture
def pclient(pipeline) -> httpx.Client:
    with httpx.Client(base_url=pipeline.url, timeout=30) as http:
        yield http


def eventually(probe, timeout_s: float = 60.0, what: str = "the pipeline"):
    """Poll `probe()` until it returns something truthy; the flows answer asynchronously."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not answer within {timeout_s:.0f}s (last: {value!r})")
        time.sleep(0.1)


def balances(http: httpx.Client, user: User) -> dict[str, tuple[str, str]]:
    """asset -> (available, held) as `GET /wallets/balances` answers."""
    response = http.get("/api/v1/wallets/balances", headers=user.auth)
    assert response.status_code == 200, response.text
    return {row["asset"]: (row["available"], row["held"]) for row in response.json()["data"]}


def fund(http: httpx.Client, user: User, asset: str, amount: str) -> None:
    """A faucet deposit through the ledger; returns once the projection shows it."""
    before = balances(http, user).get(asset)
    deposit = http.post("/api/v1/wallets/faucet", json={"asset": asset, "amount": amount}, headers=user.auth)
    assert deposit.status_code == 202, deposit.text
    eventually(lambda: balances(http, user).get(asset) != before, what=f"the {asset} deposit")


@pytest.fixture
def client(api_server) -> httpx.Client:
    with httpx.Client(base_url=api_server.url, timeout=10) as http:
        yield http


@dataclass
class User:
    email: str
    password: str
    user_id: int
    account_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


REGISTERED: set[str] = set()  # account ids of the users this session created (see `forget_users`)


def register(http: httpx.Client, email: str | None = None, password: str = "correct horse battery") -> User:
    email = email or f"u{uuid.uuid4().hex[:12]}@example.com"
    created = http.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    REGISTERED.add(created.json()["account_id"])
    token = http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert token.status_code == 200, token.text
    return User(email, password, created.json()["user_id"], created.json()["account_id"],
                token.json()["access_token"])


def raise_limits(stack, user: User, http: httpx.Client) -> User:
    """Give `user` market-maker limits (the `users` overrides) and a fresh token that carries them."""
    with connect(stack.postgres) as conn:
        conn.execute("UPDATE users SET requests_per_min = 1000000, orders_per_s = 100000 WHERE user_id = %s",
                     (user.user_id,))
    token = http.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    user.token = token.json()["access_token"]
    return user


@pytest.fixture
def alice(client) -> User:
    return register(client)


@pytest.fixture
def bob(client) -> User:
    return register(client)


def order(**fields) -> dict:
    return {"symbol": "BTC-USDT", "side": "buy", "price": "65000.25", "quantity": "0.01", **fields}
