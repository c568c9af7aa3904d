"""Register, login, me; JWT tampering and expiry; API keys and HMAC-signed requests."""

from __future__ import annotations

import time

import orjson

from api.security import Principal, issue_token, sign_request
from tests.api.conftest import SECRET, order


def test_register_login_me_round_trip(client, alice):
    me = client.get("/api/v1/auth/me", headers=alice.auth)
    assert me.status_code == 200
    assert me.json()["email"] == alice.email and me.json()["account_id"] == alice.account_id


def test_register_refuses_a_taken_email_with_409(client, alice):
    again = client.post("/api/v1/auth/register", json={"email": alice.email.upper(), "password": "another password"})
    assert again.status_code == 409 and again.json()["code"] == "EMAIL_TAKEN"


def test_login_with_a_wrong_password_is_401_without_saying_which_part_was_wrong(client, alice):
    wrong = client.post("/api/v1/auth/login", json={"email": alice.email, "password": "not the password"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"code": "INVALID_CREDENTIALS", "message": "wrong e-mail or password"}


def test_me_without_credentials_is_401(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


def test_tampered_jwt_is_401(client, alice):
    header, payload, signature = alice.token.split(".")
    claims = orjson.loads(_b64decode(payload))
    claims["acct"] = "acct-someone-else"
    forged = ".".join([header, _b64encode(orjson.dumps(claims)), signature])
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    flipped = alice.token[:-2] + ("A" if alice.token[-2] != "A" else "B") + alice.token[-1]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {flipped}"}).status_code == 401
    other_secret = issue_token("x" * 40, Principal(alice.user_id, alice.account_id), 600)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other_secret}"}).status_code == 401


def test_expired_jwt_is_401_token_expired(client, alice):
    expired = issue_token(SECRET, Principal(alice.user_id, alice.account_id), 60, now_s=int(time.time()) - 3600)
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["code"] == "TOKEN_EXPIRED"


def test_api_key_secret_is_shown_once_and_listed_without_it(client, alice):
    created = client.post("/api/v1/auth/keys", json={"label": "bot"}, headers=alice.auth)
    assert created.status_code == 201 and created.json()["secret"]
    listed = client.get("/api/v1/auth/keys", headers=alice.auth).json()
    assert [key["key_id"] for key in listed["data"]] == [created.json()["key_id"]]
    assert "secret" not in listed["data"][0]


def signed(client, key: dict, method: str, path: str, body: bytes = b"", timestamp_ms: int | None = None,
           sign_body: bytes | None = None):
    timestamp_ms = timestamp_ms or time.time_ns() // 1_000_000
    signature = sign_request(key["secret"], timestamp_ms, method, path, body if sign_body is None else sign_body)
    headers = {"FT-API-KEY": key["key_id"], "FT-API-TIMESTAMP": str(timestamp_ms), "FT-API-SIGNATURE": signature,
               "Content-Type": "application/json"}
    return client.request(method, path, content=body, headers=headers)


def test_hmac_signed_requests_authenticate_reads_and_orders(client, alice):
    key = client.post("/api/v1/auth/keys", json={"label": "bot"}, headers=alice.auth).json()
    me = signed(client, key, "GET", "/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["account_id"] == alice.account_id
    placed = signed(client, key, "POST", "/api/v1/orders", orjson.dumps(order()))
    assert placed.status_code == 201 and placed.json()["status"] == "pending"
    listed = signed(client, key, "GET", "/api/v1/orders?limit=5")
    assert listed.status_code == 200 and listed.json()["count"] == 1


def test_hmac_with_a_stale_timestamp_is_refused(client, alice):
    key = client.post("/api/v1/auth/keys", json={}, headers=alice.auth).json()
    stale = signed(client, key, "GET", "/api/v1/auth/me", timestamp_ms=time.time_ns() // 1_000_000 - 60_000)
    assert stale.status_code == 401 and stale.json()["code"] == "STALE_TIMESTAMP"
    future = signed(client, key, "GET", "/api/v1/auth/me", timestamp_ms=time.time_ns() // 1_000_000 + 60_000)
    assert future.status_code == 401 and future.json()["code"] == "STALE_TIMESTAMP"


def test_hmac_over_an_altered_body_or_path_is_refused(client, alice):
    key = client.post("/api/v1/auth/keys", json={}, headers=alice.auth).json()
    body = orjson.dumps(order())
    altered = signed(client, key, "POST", "/api/v1/orders", body.replace(b"0.01", b"9.99"), sign_body=body)
    assert altered.status_code == 401 and altered.json()["code"] == "INVALID_SIGNATURE"
    timestamp_ms = time.time_ns() // 1_000_000
    signature = sign_request(key["secret"], timestamp_ms, "GET", "/api/v1/auth/me", b"")
    other_path = client.get("/api/v1/orders", headers={"FT-API-KEY": key["key_id"],
                                                       "FT-API-TIMESTAMP": str(timestamp_ms),
                                                       "FT-API-SIGNATURE": signature})
    assert other_path.status_code == 401 and other_path.json()["code"] == "INVALID_SIGNATURE"


def test_hmac_request_replayed_verbatim_is_refused(client, alice):
    key = client.post("/api/v1/auth/keys", json={}, headers=alice.auth).json()
    timestamp_ms = time.time_ns() // 1_000_000
    headers = {"FT-API-KEY": key["key_id"], "FT-API-TIMESTAMP": str(timestamp_ms),
               "FT-API-SIGNATURE": sign_request(key["secret"], timestamp_ms, "GET", "/api/v1/auth/me", b"")}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    replay = client.get("/api/v1/auth/me", headers=headers)
    assert replay.status_code == 401 and replay.json()["code"] == "REPLAYED_REQUEST"


def test_revoked_key_no_longer_authenticates_and_others_cannot_revoke_it(client, alice, bob):
    key = client.post("/api/v1/auth/keys", json={}, headers=alice.auth).json()
    assert client.delete(f"/api/v1/auth/keys/{key['key_id']}", headers=bob.auth).status_code == 404
    assert signed(client, key, "GET", "/api/v1/auth/me").status_code == 200
    assert client.delete(f"/api/v1/auth/keys/{key['key_id']}", headers=alice.auth).status_code == 204
    assert signed(client, key, "GET", "/api/v1/auth/me").status_code == 401


def test_unknown_key_is_401(client):
    fake = {"key_id": "ftk_000000000000000000000000", "secret": "guess"}
    assert signed(client, fake, "GET", "/api/v1/auth/me").status_code == 401


def _b64decode(text: str) -> bytes:
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    import base64
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
