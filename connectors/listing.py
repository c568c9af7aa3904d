"""The exchange's listing: which symbols trade, on which grid, with which fees.

The default listing below serves development and tests; a deployment names its own JSON file in
`FASTTRADING_LISTING_FILE` (a list of `SymbolSpec.to_dict()` objects). Every part (API, ledger,
matcher, simulator) reads the listing the same way, so they agree on increments and fees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import orjson
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.errors import SettingsError
from matcher.symbols import SymbolSpec

DEFAULT_LISTING = (
    SymbolSpec("BTC-USDT", "BTC", "USDT", base_decimals=8, quote_decimals=6, tick_size="0.01",
               lot_size="0.0001", min_qty_lots=1, min_notional=5_000_000, maker_fee_bps=10, taker_fee_bps=20),
    SymbolSpec("ETH-USDT", "ETH", "USDT", base_decimals=9, quote_decimals=6, tick_size="0.01",
               lot_size="0.001", min_qty_lots=1, min_notional=5_000_000, maker_fee_bps=10, taker_fee_bps=20),
    SymbolSpec("SOL-USDT", "SOL", "USDT", base_decimals=9, quote_decimals=6, tick_size="0.001",
               lot_size="0.01", min_qty_lots=1, min_notional=1_000_000, maker_fee_bps=10, taker_fee_bps=20),
)


class ListingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FASTTRADING_LISTING_", frozen=True)

    file: Path | None = None


def load_listing(settings: ListingSettings) -> Mapping[str, SymbolSpec]:
    """Symbol name -> spec, from `settings.file` or the default listing."""
    if settings.file is None:
        specs = DEFAULT_LISTING
    else:
        try:
            specs = tuple(SymbolSpec.from_dict(item) for item in orjson.loads(settings.file.read_bytes()))
        except (OSError, ValueError, TypeError) as exc:
            raise SettingsError(f"FASTTRADING_LISTING_FILE: cannot load {settings.file}: {exc}") from None
    return {spec.symbol: spec for spec in specs}


def asset_decimals(listing: Mapping[str, SymbolSpec]) -> dict[str, int]:
    """Each listed asset's number of decimal places (its smallest unit)."""
    decimals: dict[str, int] = {}
    for spec in listing.values():
        for asset, places in ((spec.base, spec.base_decimals), (spec.quote, spec.quote_decimals)):
            if decimals.setdefault(asset, places) != places:
                raise SettingsError(f"listing: {asset} has {decimals[asset]} and {places} decimals")
    return decimals
