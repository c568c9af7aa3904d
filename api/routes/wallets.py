"""Wallets: bind an Ethereum address by EIP-191 signature, balances, transfer history, withdraw, and
(in dev only) a faucet. Withdrawals and faucet deposits are ledger commands; the ledger decides.

Binding: `POST /wallets/nonce` stores a one-time nonce in Redis (`connectors.redis.keys.wallet_nonce`, expiring)
bound to the user and address, and returns the exact text to sign. `POST /wallets` takes the nonce
with GETDEL (so it works once, whatever the outcome), recovers the signer with eth-account and binds
the address only if the signer is that address.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Annotated, Literal

import orjson
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import APIRouter, Query

from api import errors
from api.deps import Assets, Conn, CurrentUser, Intake, Pool, RedisDep, SettingsDep
from api.errors import ApiError
from api.ids import new_id
from api.money import parse_units, units_text
from api.schemas.wallets import (BalancePublic, BalancesPublic, FaucetCreate, SignMessageCreate, SignMessagePublic,
                                 TransferPublic, TransfersPublic, WalletBind, WalletPublic, WalletsPublic,
                                 WithdrawalCreate)
from api.security import Principal
from api.store import wallets
from connectors.redis import keys
from matcher import codes
from matcher.commands import Deposit, Withdraw
from matcher.symbols import IncrementError

router = APIRouter(prefix="/wallets", tags=["wallets"])


def sign_message(address: str, account_id: str, nonce: str, chain_id: int, expires_at: datetime) -> str:
    return (f"FastTrading asks you to bind wallet {address} to account {account_id}.\n"
            f"Chain ID: {chain_id}\nNonce: {nonce}\nExpires: {expires_at.isoformat()}")


@router.post("/nonce", status_code=201, response_model=SignMessagePublic)
async def create_nonce(body: SignMessageCreate, principal: CurrentUser, redis: RedisDep,
                       settings: SettingsDep) -> SignMessagePublic:
    """The message to sign with the wallet (EIP-191 personal_sign); valid once, for a few minutes."""
    address, nonce = body.address.lower(), secrets.token_hex(16)
    expires_at = datetime.fromtimestamp(int(time.time()) + settings.wallet_nonce_ttl_s, tz=timezone.utc)
    message = sign_message(address, principal.account_id, nonce, settings.chain_id, expires_at)
    await redis.set(keys.wallet_nonce(nonce), orjson.dumps({"user_id": principal.user_id, "address": address,
                                                    "message": message}), ex=settings.wallet_nonce_ttl_s)
    return SignMessagePublic(address=address, nonce=nonce, message=message, expires_at=expires_at)


@router.post("", status_code=201, response_model=WalletPublic)
async def bind_wallet(body: WalletBind, principal: CurrentUser, redis: RedisDep, conn: Conn,
                      settings: SettingsDep) -> WalletPublic:
    address = body.address.lower()
    stored = await redis.getdel(keys.wallet_nonce(body.nonce))
    claim = orjson.loads(stored) if stored else None
    if claim is None or claim["user_id"] != principal.user_id or claim["address"] != address:
        raise ApiError(400, errors.NONCE_INVALID, "unknown, expired or already used nonce; ask for a new one")
    try:
        signer = Account.recover_message(encode_defunct(text=claim["message"]), signature=body.signature)
    except Exception:  # malformed signatures raise several eth-keys/ValueError types
        raise ApiError(400, errors.WRONG_SIGNER, "the signature cannot be recovered") from None
    if signer.lower() != address:
        raise ApiError(400, errors.WRONG_SIGNER, "the message was not signed by this address")
    row = await wallets.bind(conn, address, principal.user_id, settings.chain_id)
    if row is None:
        raise ApiError(409, errors.WALLET_TAKEN, "this address is bound to another account")
    return WalletPublic(**row)


@router.get("", response_model=WalletsPublic)
async def list_wallets(principal: CurrentUser, conn: Conn) -> WalletsPublic:
    rows = await wallets.wallets_of(conn, principal.user_id)
    return WalletsPublic(data=[WalletPublic(**row) for row in rows], count=len(rows))


@router.get("/balances", response_model=BalancesPublic)
async def balances(principal: CurrentUser, conn: Conn, assets: Assets) -> BalancesPublic:
    """Your balances as the journal's projection has them: available, held (by open orders), total."""
    data = []
    for row in await wallets.balances(conn, principal.account_id):
        places = assets.get(row["asset"], 0)
        available, held = int(row["available"]), int(row["held"])
        data.append(BalancePublic(asset=row["asset"], available=units_text(available, places),
                                  held=units_text(held, places), total=units_text(available + held, places)))
    return BalancesPublic(data=data, count=len(data))


def _units(assets: Assets, asset: str, amount: str) -> int:
    if asset not in assets:
        raise ApiError(400, errors.UNKNOWN_ASSET, f"no listed asset {asset!r}")
    try:
        return parse_units(assets[asset], amount)
    except IncrementError as exc:
        raise ApiError(400, exc.code, str(exc)) from None


async def _history(principal: Principal, conn: Conn, assets: Assets, kind: str, limit: int,
                   offset: int) -> TransfersPublic:
    rows = await wallets.transfers(conn, principal.account_id, kind, limit, offset)
    data = [TransferPublic(**{**row, "amount": units_text(int(row["amount"]), assets.get(row["asset"], 0))})
            for row in rows]
    return TransfersPublic(data=data, count=len(data))


Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


@router.get("/deposits", response_model=TransfersPublic)
async def deposits(principal: CurrentUser, conn: Conn, assets: Assets, limit: Limit = 100,
                   offset: Offset = 0) -> TransfersPublic:
    return await _history(principal, conn, assets, "deposit", limit, offset)


@router.get("/withdrawals", response_model=TransfersPublic)
async def withdrawals(principal: CurrentUser, conn: Conn, assets: Assets, limit: Limit = 100,
                      offset: Offset = 0) -> TransfersPublic:
    return await _history(principal, conn, assets, "withdraw", limit, offset)


async def _transfer(pool: Pool, intake: Intake, principal: Principal, assets: Assets,
                    kind: Literal["deposit", "withdraw"], asset: str, units: int, address: str | None) -> TransferPublic:
    ts_ns = time.time_ns()
    cls = Deposit if kind == "deposit" else Withdraw
    command = cls(cmd_id=new_id(ts_ns), ts_ns=ts_ns, account=principal.account_id, asset=asset, amount=units)
    async with pool.connection() as conn:
        row = await wallets.record_transfer(conn, command.cmd_id, principal.account_id, kind, asset, units, address,
                                            ts_ns)
    await intake.submit(command)
    return TransferPublic(**{**row, "amount": units_text(units, assets[asset])})


@router.post("/withdrawals", status_code=202, response_model=TransferPublic)
async def withdraw(body: WithdrawalCreate, principal: CurrentUser, pool: Pool, intake: Intake,
                   assets: Assets) -> TransferPublic:
    """Withdraw to one of your bound wallets. Refused at once when the projected available balance is
    short; the ledger makes the final decision (a rejection arrives on the `orders` channel)."""
    units, address = _units(assets, body.asset, body.amount), body.address.lower()
    async with pool.connection() as conn:
        if not await wallets.is_bound_to(conn, address, principal.user_id):
            raise ApiError(400, errors.WALLET_NOT_BOUND, "withdrawals go to a wallet bound to your account")
        if await wallets.available(conn, principal.account_id, body.asset) < units:
            raise ApiError(400, codes.INSUFFICIENT_FUNDS, f"not enough {body.asset} available")
    return await _transfer(pool, intake, principal, assets, "withdraw", body.asset, units, address)


@router.post("/faucet", status_code=202, response_model=TransferPublic)
async def faucet(body: FaucetCreate, principal: CurrentUser, pool: Pool, intake: Intake, assets: Assets,
                 settings: SettingsDep) -> TransferPublic:
    """Dev only: deposit test funds. Answers 404 when the faucet is off (the default outside dev)."""
    if not settings.faucet_enabled:
        raise errors.not_found(what="faucet")
    units = _units(assets, body.asset, body.amount)
    if units > settings.faucet_max_units:
        raise ApiError(400, codes.INVALID_AMOUNT, f"the faucet gives at most {settings.faucet_max_units} units")
    return await _transfer(pool, intake, principal, assets, "deposit", body.asset, units, None)
