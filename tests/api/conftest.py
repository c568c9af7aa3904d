"""A real API (uvicorn in a child process) on a free loopback port, on the real stack.

The session server keeps the production defaults (100 requests/min per user, 10 orders/s per
account) except the per-address limit for unauthenticated requests, which every test shares from
127.0.0.1; its own test raises nothing. Each test registers fresh users, so limits never collide.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.server import ApiProcess, spawn
from connectors.postgres.pool import connect

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


@pytest.fixture(scope="session")
def api_server(stack, tmp_path_factory) -> ApiProcess:
    log = Path(tmp_path_factory.mktemp("api")) / "api.log"
    server = spawn(api_env(free_port()), log_path=log)
    yield server
    server.stop()


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


def register(http: httpx.Client, email: str | None = None, password: str = "correct horse battery") -> User:
    email = email or f"u{uuid.uuid4().hex[:12]}@example.com"
    created = http.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
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
