"""API keys: create (the secret is shown once), list, revoke. See `api.security` for signing."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api import errors
from api.deps import Conn, CurrentUser, SettingsDep
from api.schemas.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiKeysPublic
from api.schemas.common import ID_PATTERN
from api.security import derive_key_secret, secret_digest
from api.store import users

router = APIRouter(prefix="/auth/keys", tags=["api keys"])


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_key(body: ApiKeyCreate, principal: CurrentUser, conn: Conn, settings: SettingsDep) -> ApiKeyCreated:
    key_id = f"ftk_{secrets.token_hex(12)}"
    secret = derive_key_secret(settings.secret_key, key_id)
    row = await users.create_key(conn, key_id, principal.user_id, body.label, secret_digest(secret))
    return ApiKeyCreated(**row, secret=secret)


@router.get("", response_model=ApiKeysPublic)
async def list_keys(principal: CurrentUser, conn: Conn) -> ApiKeysPublic:
    rows = await users.list_keys(conn, principal.user_id)
    return ApiKeysPublic(data=[ApiKeyPublic(**row) for row in rows], count=len(rows))


@router.delete("/{key_id}", status_code=204)
async def revoke_key(key_id: Annotated[str, Path(pattern=ID_PATTERN)],
                     principal: CurrentUser, conn: Conn) -> Response:
    if not await users.revoke_key(conn, principal.user_id, key_id):
        raise errors.not_found(errors.KEY_NOT_FOUND, "API key")
    return Response(status_code=204)
