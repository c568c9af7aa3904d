"""Register, log in (JWT), who am I."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api import errors
from api.deps import Conn, CurrentUser, SettingsDep
from api.errors import ApiError
from api.schemas.auth import Token, UserLogin, UserPublic, UserRegister
from api.security import Principal, hash_password, issue_token, verify_password
from api.store import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserPublic)
async def register(body: UserRegister, conn: Conn) -> UserPublic:
    """Create a user and their ledger account (`account_id`, the key of their commands on Kafka)."""
    password_hash = await run_in_threadpool(hash_password, body.password)  # Argon2 is deliberately slow
    row = await users.create_user(conn, body.email.lower(), password_hash, f"acct-{secrets.token_hex(10)}")
    if row is None:
        raise ApiError(409, errors.EMAIL_TAKEN, "this e-mail is already registered")
    return UserPublic(**row)


@router.post("/login", response_model=Token)
async def login(body: UserLogin, conn: Conn, settings: SettingsDep) -> Token:
    row = await users.user_by_email(conn, body.email.lower())
    ok = await run_in_threadpool(verify_password, row and row["password_hash"], body.password)
    if not ok:
        raise ApiError(401, errors.INVALID_CREDENTIALS, "wrong e-mail or password")
    principal = Principal(row["user_id"], row["account_id"], row["orders_per_s"], row["requests_per_min"])
    return Token(access_token=issue_token(settings.secret_key, principal, settings.jwt_ttl_s),
                 expires_in=settings.jwt_ttl_s)


@router.get("/me", response_model=UserPublic)
async def me(principal: CurrentUser, conn: Conn) -> UserPublic:
    row = await users.user_by_id(conn, principal.user_id)
    if row is None:
        raise errors.not_found(what="user")
    return UserPublic(**row)
