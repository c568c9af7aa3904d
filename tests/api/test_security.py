"""The perimeter: error shape, security headers, CORS, body size limit and the general rate limit."""

from __future__ import annotations

import pytest

from connectors.errors import SettingsError
from connectors.settings import ApiSettings, load
from tests.api.conftest import order


def test_every_response_carries_security_headers(client):
    headers = client.get("/api/v1/market/symbols").headers
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" in headers


def test_order_placement_answers_carry_security_headers_too(client, alice):
    """Bearer order placement is answered in front of the perimeter (`api.order_entry`), with the same headers."""
    placed = client.post("/api/v1/orders", json=order(), headers=alice.auth)
    off_grid = client.post("/api/v1/orders", json=order(price="65000.255"), headers=alice.auth)
    malformed = client.post("/api/v1/orders", json=order(side="hold"), headers=alice.auth)
    for response, status in ((placed, 201), (off_grid, 400), (malformed, 422)):
        assert response.status_code == status and response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_unknown_routes_and_methods_answer_json_errors(client):
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    wrong = client.put("/api/v1/market/symbols")
    assert wrong.status_code == 405 and wrong.json()["code"] == "METHOD_NOT_ALLOWED"


def test_cors_allows_the_configured_origin_only(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"}
    allowed = client.options("/api/v1/orders", headers={"Origin": "http://localhost:3000", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == "http://localhost:3000"
    refused = client.options("/api/v1/orders", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers


def test_oversized_body_is_413(client, alice):
    big = order(client_order_id="x" * 10) | {"padding": "y" * (ApiSettings().max_body_bytes + 1)}
    response = client.post("/api/v1/orders", json=big, headers=alice.auth)
    assert response.status_code == 413 and response.json()["code"] == "BODY_TOO_LARGE"

    def chunks():  # no Content-Length: the limit holds on the bytes actually received
        for _ in range(100):
            yield b"z" * 1024

    streamed = client.post("/api/v1/orders", content=chunks(), headers=alice.auth)
    assert streamed.status_code == 413


def test_more_than_100_requests_a_minute_is_429_with_retry_after(client, alice):
    statuses = [client.get("/api/v1/auth/me", headers=alice.auth).status_code for _ in range(101)]
    assert statuses[:100] == [200] * 100 and statuses[100] == 429
    limited = client.get("/api/v1/auth/me", headers=alice.auth)
    assert limited.json()["code"] == "RATE_LIMITED" and 1 <= int(limited.headers["Retry-After"]) <= 60


def test_placeholder_secret_is_refused_outside_dev(monkeypatch):
    monkeypatch.setenv("FASTTRADING_ENV", "prod")
    monkeypatch.delenv("FASTTRADING_API_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="FASTTRADING_API_SECRET_KEY: .*placeholder"):
        load(ApiSettings)
    monkeypatch.setenv("FASTTRADING_API_SECRET_KEY", "a-real-secret-of-at-least-32-characters!")
    assert load(ApiSettings).faucet_enabled is False
