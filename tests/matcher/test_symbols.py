"""Symbol specs: integer grid and strict decimal conversion at the edge."""

from __future__ import annotations

import pytest

from matcher import codes
from matcher.symbols import IncrementError, SymbolSpec, amount_units
from tests.matcher.factory import make_spec


def test_round_trip_of_prices_quantities_and_amounts():
    spec = make_spec()
    assert spec.price_to_ticks("65000.01") == 6_500_001 and spec.ticks_to_price(6_500_001) == "65000.01"
    assert spec.qty_to_lots("1.2345") == 12_345 and spec.lots_to_qty(12_345) == "1.2345"
    assert spec.lots_to_qty(10_000) == "1"
    assert spec.amount_to_units("USDT", "0.000001") == 1 and spec.units_to_amount("BTC", 150_000_000) == "1.5"
    assert amount_units(8, "0.00000001") == 1


@pytest.mark.parametrize(("method", "text", "code"), [
    ("price_to_ticks", "0.001", codes.INVALID_PRICE),
    ("price_to_ticks", "-1", codes.INVALID_PRICE),
    ("price_to_ticks", "0", codes.INVALID_PRICE),
    ("price_to_ticks", "abc", codes.INVALID_PRICE),
    ("price_to_ticks", "NaN", codes.INVALID_PRICE),
    ("price_to_ticks", "Infinity", codes.INVALID_PRICE),
    ("price_to_ticks", "1e400", codes.INVALID_PRICE),
    ("qty_to_lots", "0.00001", codes.INVALID_QUANTITY),
])
def test_strict_increments(method, text, code):
    with pytest.raises(IncrementError) as error:
        getattr(make_spec(), method)(text)
    assert error.value.code == code


def test_non_string_refused():
    with pytest.raises(IncrementError):
        make_spec().price_to_ticks(1.5)


def test_spec_must_land_on_whole_units():
    with pytest.raises(ValueError):
        SymbolSpec("X-Y", "X", "Y", 2, 2, tick_size="0.01", lot_size="0.001")


def test_notional_fee_and_hold():
    spec = make_spec(maker_fee_bps=10, taker_fee_bps=20)
    assert spec.notional(100, 7) == 700
    assert spec.fee(700, 20) == 1  # 1.4 rounds down
    assert spec.buy_hold(100, 7) == 702  # fee 1.4 rounds up
    assert spec.affordable_lots(100, 1002, 20) == 10 and spec.affordable_lots(100, 1001, 20) == 9


def test_spec_dict_round_trip():
    spec = make_spec()
    assert SymbolSpec.from_dict(spec.to_dict()) == spec
