"""Integers inside, decimal strings at the edge: amounts of an asset in its smallest units.

>>> units_text(12_500_000, 6), parse_units(6, "12.5")
('12.5', 12500000)
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from matcher.symbols import amount_units


def units_text(units: int, decimals: int) -> str:
    with localcontext(prec=80):
        text = format(Decimal(int(units)).scaleb(-decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_units(decimals: int, text: str) -> int:
    """Raises `matcher.symbols.IncrementError` (code INVALID_AMOUNT) unless a positive exact amount."""
    return amount_units(decimals, text)
