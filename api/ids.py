"""Ids chosen at intake: time-ordered (index-friendly, sortable) and unguessable.

>>> len(new_id(1_700_000_000_000_000_000)), new_id(1)[:16]
(28, '0000000000000001')
"""

from __future__ import annotations

import secrets


def new_id(ts_ns: int) -> str:
    """16 hex digits of the intake time in ns, then 12 random hex digits (48 bits)."""
    return f"{ts_ns:016x}{secrets.token_hex(6)}"
