"""Credentials as small pure functions: password hashes, JWTs, API-key secrets and request signatures.

API-key secrets are never stored. A key's secret is derived as HMAC-SHA256(server secret, "api-key:" +
key_id), shown once at creation, and re-derived to verify a signed request; the database keeps only
SHA-256(secret) (`api_keys.secret_hash`), which proves the key was issued under the current server
secret. A database leak therefore yields no usable secret, and rotating the server secret revokes
every key at once. The price is that whoever holds the server secret can sign for any key, which is
already true of JWTs.

Signed requests carry `FT-API-KEY`, `FT-API-TIMESTAMP` (Unix ms) and `FT-API-SIGNATURE`:
hex HMAC-SHA256(secret, timestamp + "\\n" + METHOD + "\\n" + path[?query] + "\\n" + body).

>>> secret = derive_key_secret("k" * 32, "key1")
>>> sign_request(secret, 1000, "post", "/api/v1/orders", b"{}") == sign_request(secret, 1000, "POST", "/api/v1/orders", b"{}")
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

JWT_ALGORITHM = "HS256"
_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) parameters
# Verifying against this when the e-mail is unknown keeps login time the same either way.
_DUMMY_HASH = _hasher.hash("not-a-password")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, their ledger account and their rate limits (None = defaults)."""

    user_id: int
    account_id: str
    orders_per_s: int | None = None
    requests_per_min: int | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _subkey(secret_key: str, purpose: str) -> bytes:
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def issue_token(secret_key: str, principal: Principal, ttl_s: int, now_s: int | None = None) -> str:
    now_s = int(time.time()) if now_s is None else now_s
    claims = {"sub": str(principal.user_id), "acct": principal.account_id, "iat": now_s, "exp": now_s + ttl_s,
              "typ": "access", "ops": principal.orders_per_s, "rpm": principal.requests_per_min}
    return jwt.encode(claims, _subkey(secret_key, "jwt"), algorithm=JWT_ALGORITHM)


def read_token(secret_key: str, token: str) -> Principal:
    """The token's principal; raises `jwt.ExpiredSignatureError` or `jwt.InvalidTokenError`."""
    return read_token_expiring(secret_key, token)[0]


def read_token_expiring(secret_key: str, token: str) -> tuple[Principal, int]:
    """The token's principal and its expiry (Unix seconds); raises like `read_token`."""
    claims = jwt.decode(token, _subkey(secret_key, "jwt"), algorithms=[JWT_ALGORITHM],
                        options={"require": ["exp", "iat", "sub"]})
    if claims.get("typ") != "access" or not isinstance(claims.get("acct"), str):
        raise jwt.InvalidTokenError("not an access token")
    return Principal(int(claims["sub"]), claims["acct"], claims.get("ops"), claims.get("rpm")), int(claims["exp"])


def derive_key_secret(secret_key: str, key_id: str) -> str:
    raw = hmac.new(_subkey(secret_key, "api-key"), key_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def signing_payload(timestamp_ms: int, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp_ms}\n{method.upper()}\n{path}\n".encode() + body


def sign_request(secret: str, timestamp_ms: int, method: str, path: str, body: bytes) -> str:
    return hmac.new(secret.encode(), signing_payload(timestamp_ms, method, path, body), hashlib.sha256).hexdigest()


def signature_matches(secret: str, timestamp_ms: int, method: str, path: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_request(secret, timestamp_ms, method, path, body), signature.lower())
