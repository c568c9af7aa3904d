"""Wallets: EIP-191 binding, balances and transfers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import DecimalStr

Address = Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])


class SignMessageCreate(BaseModel):
    address: str = Address


class SignMessagePublic(BaseModel):
    address: str
    nonce: str
    message: str = Field(description="sign exactly this text with personal_sign (EIP-191)")
    expires_at: datetime


class WalletBind(BaseModel):
    address: str = Address
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$")


class WalletPublic(BaseModel):
    address: str
    chain_id: int
    bound_at: datetime


class WalletsPublic(BaseModel):
    data: list[WalletPublic]
    count: int


class BalancePublic(BaseModel):
    asset: str
    available: str
    held: str
    total: str


class BalancesPublic(BaseModel):
    data: list[BalancePublic]
    count: int


class WithdrawalCreate(BaseModel):
    asset: str = Field(max_length=16, examples=["USDT"])
    amount: DecimalStr
    address: str = Address


class FaucetCreate(BaseModel):
    asset: str = Field(max_length=16, examples=["USDT"])
    amount: DecimalStr


class TransferPublic(BaseModel):
    cmd_id: str
    kind: Literal["deposit", "withdraw"]
    asset: str
    amount: str
    address: str | None
    status: Literal["pending", "completed"]
    requested_at: datetime


class TransfersPublic(BaseModel):
    data: list[TransferPublic]
    count: int
