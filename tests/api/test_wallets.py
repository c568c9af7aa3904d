"""EIP-191 wallet binding, balances, withdrawals and the dev faucet."""

from __future__ import annotations

import time

from eth_account import Account
from eth_account.messages import encode_defunct

from api.money import units_text
from tests.api.conftest import NONCE_TTL_S, balances, eventually, fund, register


def _challenge(client, user, address: str) -> dict:
    response = client.post("/api/v1/wallets/nonce", json={"address": address}, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


def _sign(account, message: str) -> str:
    return account.sign_message(encode_defunct(text=message)).signature.hex()


def _bind(client, user, account, challenge: dict, signer=None):
    return client.post("/api/v1/wallets", headers=user.auth, json={
        "address": account.address, "nonce": challenge["nonce"],
        "signature": _sign(signer or account, challenge["message"])})


def test_bind_wallet_with_an_eip191_signature(client, alice):
    wallet = Account.create()
    bound = _bind(client, alice, wallet, _challenge(client, alice, wallet.address))
    assert bound.status_code == 201, bound.text
    assert bound.json()["address"] == wallet.address.lower()
    assert [w["address"] for w in client.get("/api/v1/wallets", headers=alice.auth).json()["data"]] == \
        [wallet.address.lower()]


def test_a_nonce_works_once(client, alice):
    wallet = Account.create()
    challenge = _challenge(client, alice, wallet.address)
    assert _bind(client, alice, wallet, challenge).status_code == 201
    again = _bind(client, alice, wallet, challenge)
    assert again.status_code == 400 and again.json()["code"] == "NONCE_INVALID"


def test_an_expired_nonce_is_refused(client, alice):
    wallet = Account.create()
    challenge = _challenge(client, alice, wallet.address)
    time.sleep(NONCE_TTL_S + 0.5)
    expired = _bind(client, alice, wallet, challenge)
    assert expired.status_code == 400 and expired.json()["code"] == "NONCE_INVALID"


def test_a_signature_by_another_key_is_refused_and_burns_the_nonce(client, alice):
    wallet, intruder = Account.create(), Account.create()
    challenge = _challenge(client, alice, wallet.address)
    wrong = _bind(client, alice, wallet, challenge, signer=intruder)
    assert wrong.status_code == 400 and wrong.json()["code"] == "WRONG_SIGNER"
    assert _bind(client, alice, wallet, challenge).json()["code"] == "NONCE_INVALID"


def test_another_users_nonce_or_wallet_cannot_be_used(client, alice, bob):
    wallet = Account.create()
    challenge = _challenge(client, alice, wallet.address)
    stolen = _bind(client, bob, wallet, challenge)
    assert stolen.status_code == 400 and stolen.json()["code"] == "NONCE_INVALID"
    assert _bind(client, alice, wallet, _challenge(client, alice, wallet.address)).status_code == 201
    taken = _bind(client, bob, wallet, _challenge(client, bob, wallet.address))
    assert taken.status_code == 409 and taken.json()["code"] == "WALLET_TAKEN"


def test_balances_are_your_own_ledger_balances_as_decimal_strings(pipeline, pclient):
    """Deposits through the real ledger and projection; an open order shows as held."""
    spec = pipeline.spec
    alice, bob = register(pclient), register(pclient)
    fund(pclient, alice, spec.quote, "1.5")
    assert balances(pclient, alice) == {spec.quote: ("1.5", "0")}
    rest = pclient.post("/api/v1/orders", headers=alice.auth, params={"wait": "true"},
                        json={"symbol": spec.symbol, "side": "buy", "price": "0.01", "quantity": "1"})
    assert rest.json()["status"] == "open", rest.text
    held = spec.buy_hold(1, 100)  # 1 at 0.01: the notional and the worst-case fee
    mine = eventually(lambda: (body := pclient.get("/api/v1/wallets/balances", headers=alice.auth).json())
                      ["data"][0]["held"] != "0" and body, what="the hold")
    assert mine["count"] == 1
    [row] = mine["data"]
    assert row["asset"] == spec.quote and row["total"] == "1.5"
    assert row["held"] == units_text(held, spec.quote_decimals)
    assert row["available"] == units_text(15 * 10 ** (spec.quote_decimals - 1) - held, spec.quote_decimals)
    assert pclient.get("/api/v1/wallets/balances", headers=bob.auth).json() == {"data": [], "count": 0}


def test_withdraw_is_refused_without_funds_or_to_an_unbound_address_and_completes_through_the_ledger(
        pipeline, pclient):
    spec, alice = pipeline.spec, register(pclient)
    wallet = Account.create()
    unbound = pclient.post("/api/v1/wallets/withdrawals", headers=alice.auth,
                           json={"asset": spec.quote, "amount": "1", "address": wallet.address})
    assert unbound.status_code == 400 and unbound.json()["code"] == "WALLET_NOT_BOUND"
    assert _bind(pclient, alice, wallet, _challenge(pclient, alice, wallet.address)).status_code == 201
    broke = pclient.post("/api/v1/wallets/withdrawals", headers=alice.auth,
                         json={"asset": spec.quote, "amount": "1", "address": wallet.address})
    assert broke.status_code == 400 and broke.json()["code"] == "INSUFFICIENT_FUNDS"
    fund(pclient, alice, spec.quote, "5")
    ok = pclient.post("/api/v1/wallets/withdrawals", headers=alice.auth,
                      json={"asset": spec.quote, "amount": "2.5", "address": wallet.address})
    assert ok.status_code == 202 and ok.json()["status"] == "pending" and ok.json()["amount"] == "2.5"
    eventually(lambda: balances(pclient, alice) == {spec.quote: ("2.5", "0")}, what="the withdrawal")
    history = pclient.get("/api/v1/wallets/withdrawals", headers=alice.auth).json()
    assert [(t["kind"], t["amount"], t["address"], t["status"]) for t in history["data"]] == \
        [("withdraw", "2.5", wallet.address.lower(), "completed")]
    deposits = pclient.get("/api/v1/wallets/deposits", headers=alice.auth).json()
    assert [(t["amount"], t["status"]) for t in deposits["data"]] == [("5", "completed")]


def test_faucet_deposits_through_the_ledger_and_refuses_bad_amounts(client, alice):
    deposit = client.post("/api/v1/wallets/faucet", json={"asset": "USDT", "amount": "1000"}, headers=alice.auth)
    assert deposit.status_code == 202 and deposit.json()["kind"] == "deposit"
    assert client.get("/api/v1/wallets/deposits", headers=alice.auth).json()["count"] == 1
    for body, code in (({"asset": "DOGE", "amount": "1"}, "UNKNOWN_ASSET"),
                       ({"asset": "USDT", "amount": "0.0000001"}, "INVALID_AMOUNT"),
                       ({"asset": "USDT", "amount": "0"}, "INVALID_AMOUNT")):
        refused = client.post("/api/v1/wallets/faucet", json=body, headers=alice.auth)
        assert refused.status_code == 400 and refused.json()["code"] == code
