"""Symbol specifications: the integer grid a market trades on, and the only place decimals meet it.

Inside the exchange everything is an integer: a price is a number of ticks, a quantity a number of
lots, an amount a number of the asset's smallest units. `SymbolSpec` holds the increments and converts
decimal strings (the API edge) to and from that grid, refusing any value that is not an exact
multiple of its increment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation

from matcher import codes

BPS = 10_000
MAX_INT = 2**62  # prices, quantities and amounts stay far below this; anything larger is refused


class IncrementError(ValueError):
    """A decimal string that is not a positive exact multiple of its increment; `code` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _decimal(text: str, code: str) -> Decimal:
    if not isinstance(text, str):
        raise IncrementError(code, f"expected a decimal string, got {type(text).__name__}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise IncrementError(code, f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise IncrementError(code, f"not a finite number: {text!r}")
    return value


# Wide enough for any amount that fits the integer limits; one shared context, since entering a
# local context per conversion cost more than the conversion (the API converts every order).
_EXACT = Context(prec=80)


def _to_units(text: str, step: Decimal, code: str, *, allow_zero: bool = False) -> int:
    value = _decimal(text, code)
    try:
        units, rest = _EXACT.divmod(value, step)
    except InvalidOperation:
        raise IncrementError(code, f"{text} is out of range") from None
    if rest != 0:
        raise IncrementError(code, f"{text} is not a multiple of {step}")
    if units < 0 or (units == 0 and not allow_zero) or units >= MAX_INT:
        raise IncrementError(code, f"{text} is out of range")
    return int(units)


def _to_text(units: int, step: Decimal) -> str:
    text = format(_EXACT.multiply(units, step), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One market's increments, limits and fees.

    `tick_size` (quote per base) and `lot_size` (base) are decimal strings; `base_decimals` and
    `quote_decimals` define each asset's smallest unit. Their products must land on whole units:
    one lot is `base_per_lot` base units and one tick times one lot is `quote_per_tick_lot` quote
    units, so a notional is simply `price_ticks * qty_lots * quote_per_tick_lot`.

    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", base_decimals=8, quote_decimals=6,
    ...                   tick_size="0.01", lot_size="0.0001", min_qty_lots=1,
    ...                   min_notional=5_000_000, maker_fee_bps=10, taker_fee_bps=20)
    >>> spec.price_to_ticks("65000.25"), spec.qty_to_lots("0.5")
    (6500025, 5000)
    >>> spec.notional(6500025, 5000)
    32500125000
    >>> spec.ticks_to_price(6500025), spec.units_to_amount("USDT", 32500125000)
    ('65000.25', '32500.125')
    >>> try:
    ...     spec.price_to_ticks("65000.255")
    ... except IncrementError as error:
    ...     print(error.code, error)
    INVALID_PRICE 65000.255 is not a multiple of 0.01
    """

    symbol: str
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    tick_size: str
    lot_size: str
    min_qty_lots: int = 1
    min_notional: int = 0  # in quote units
    maker_fee_bps: int = 0
    taker_fee_bps: int = 0
    base_per_lot: int = field(init=False, repr=False, compare=False)
    quote_per_tick_lot: int = field(init=False, repr=False, compare=False)
    tick: Decimal = field(init=False, repr=False, compare=False)  # tick_size and lot_size, parsed once
    lot: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tick, lot = Decimal(self.tick_size), Decimal(self.lot_size)
        if not (tick > 0 and lot > 0):
            raise ValueError("tick_size and lot_size must be positive")
        if self.base == self.quote:
            raise ValueError("base and quote must differ")
        base_per_lot = lot.scaleb(self.base_decimals)
        quote_per_tick_lot = (tick * lot).scaleb(self.quote_decimals)
        if base_per_lot != base_per_lot.to_integral_value() or quote_per_tick_lot != quote_per_tick_lot.to_integral_value():
            raise ValueError(f"{self.symbol}: a lot and a tick x lot must be whole asset units")
        if not (0 <= self.maker_fee_bps <= BPS and 0 <= self.taker_fee_bps <= BPS):
            raise ValueError("fees must be between 0 and 10000 bps")
        if self.min_qty_lots < 1 or self.min_notional < 0:
            raise ValueError("min_qty_lots must be >= 1 and min_notional >= 0")
        object.__setattr__(self, "base_per_lot", int(base_per_lot))
        object.__setattr__(self, "quote_per_tick_lot", int(quote_per_tick_lot))
        object.__setattr__(self, "tick", tick)
        object.__setattr__(self, "lot", lot)

    # --- integer arithmetic ------------------------------------------------------------------------
    def notional(self, price: int, qty: int) -> int:
        """Quote units paid for `qty` lots at `price` ticks."""
        return price * qty * self.quote_per_tick_lot

    def fee(self, notional: int, bps: int) -> int:
        """A charged fee rounds down; a hold rounds up (`buy_hold`), so the hold always covers."""
        return notional * bps // BPS

    def buy_hold(self, price: int, qty: int) -> int:
        """Quote units held for a buy of `qty` lots at up to `price`: notional + worst-case fee.

        The worst case is the larger of the maker and taker rates (a resting buy may end up either),
        rounded up; charged fees round down, so a hold always covers the fills it is for.
        """
        n = price * qty * self.quote_per_tick_lot
        return n - (-n * max(self.maker_fee_bps, self.taker_fee_bps) // BPS)

    def affordable_lots(self, price: int, budget: int, bps: int) -> int:
        """Largest quantity at `price` whose notional plus fee (`bps`) fits in `budget` quote units."""
        unit = price * self.quote_per_tick_lot
        qty = budget * BPS // (unit * (BPS + bps))
        while True:  # the floor-rounded fee may let one more lot fit; at most a couple of steps
            n = unit * (qty + 1)
            if n + n * bps // BPS > budget:
                return qty
            qty += 1

    def check_order(self, price: int | None, qty: int) -> str | None:
        """The validation code for `qty` lots at `price` ticks (None = no price), or None if valid."""
        if type(qty) is not int or qty < self.min_qty_lots or qty >= MAX_INT:
            return codes.INVALID_QUANTITY
        if price is not None:
            if type(price) is not int or price <= 0 or price >= MAX_INT:
                return codes.INVALID_PRICE
            if price * qty * self.quote_per_tick_lot < self.min_notional:
                return codes.BELOW_MIN_NOTIONAL
        return None

    # --- the decimal edge --------------------------------------------------------------------------
    def price_to_ticks(self, text: str) -> int:
        return _to_units(text, self.tick, codes.INVALID_PRICE)

    def ticks_to_price(self, ticks: int) -> str:
        return _to_text(ticks, self.tick)

    def qty_to_lots(self, text: str) -> int:
        return _to_units(text, self.lot, codes.INVALID_QUANTITY)

    def lots_to_qty(self, lots: int) -> str:
        return _to_text(lots, self.lot)

    def _decimals(self, asset: str) -> int:
        if asset == self.base:
            return self.base_decimals
        if asset == self.quote:
            return self.quote_decimals
        raise ValueError(f"{asset} is not an asset of {self.symbol}")

    def amount_to_units(self, asset: str, text: str) -> int:
        return _to_units(text, Decimal(1).scaleb(-self._decimals(asset)), codes.INVALID_AMOUNT)

    def units_to_amount(self, asset: str, units: int) -> str:
        return _to_text(units, Decimal(1).scaleb(-self._decimals(asset)))

    # --- plain data --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"type": "symbol", "v": 1, "symbol": self.symbol, "base": self.base, "quote": self.quote,
                "base_decimals": self.base_decimals, "quote_decimals": self.quote_decimals,
                "tick_size": self.tick_size, "lot_size": self.lot_size, "min_qty_lots": self.min_qty_lots,
                "min_notional": self.min_notional, "maker_fee_bps": self.maker_fee_bps,
                "taker_fee_bps": self.taker_fee_bps}

    @classmethod
    def from_dict(cls, data: dict) -> SymbolSpec:
        if data.get("type") != "symbol" or data.get("v") != 1:
            raise ValueError(f"not a v1 symbol spec: {data.get('type')!r} v{data.get('v')!r}")
        return cls(**{k: v for k, v in data.items() if k not in ("type", "v")})


def amount_units(decimals: int, text: str) -> int:
    """Smallest units of an asset with `decimals` places in `text` (for deposits and withdrawals).

    >>> amount_units(6, "12.5")
    12500000
    """
    return _to_units(text, Decimal(1).scaleb(-decimals), codes.INVALID_AMOUNT)
