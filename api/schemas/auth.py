"""Users, tokens and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Text64

Email = Field(pattern=r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,190}$", max_length=255,
              examples=["trader@example.com"])
Password = Field(min_length=8, max_length=128, pattern=r"^[^\x00]*$")


class UserRegister(BaseModel):
    email: str = Email
    password: str = Password


class UserLogin(BaseModel):
    email: str = Email
    password: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00]*$")


class UserPublic(BaseModel):
    user_id: int
    account_id: str
    email: str
    created_at: datetime


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds")


class ApiKeyCreate(BaseModel):
    label: Text64 = ""


class ApiKeyPublic(BaseModel):
    key_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    secret: str = Field(description="shown once; sign requests with it (see the API-key docs)")


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int
