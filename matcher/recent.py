"""Ids seen recently, for refusing a command that arrives twice, in bounded memory.

An intake that retries a send can deliver a command twice; the ledger and the book must refuse the
copy. Remembering every id ever seen would grow without end and be copied into every state
snapshot, so ids are kept for a window of *event* time (the commands' own timestamps, never the
clock) and a command older than the window is refused as stale. A copy is then either remembered
or refused: it is never applied twice.

A flow snapshots its state every few seconds, and an hour of ids is most of it. So arrivals are kept
in blocks of `BLOCK_SIZE`, and a block's JSON is made once, when it fills: a snapshot copies the
strings of the full blocks and lists only the block still filling. Blocks are small because most
windows are: an account's orders of the last hour are a few hundred ids, and a window smaller than a
block would be listed whole at every snapshot. (A restored window keeps the blocks it was saved with,
whatever their size.)
"""

from __future__ import annotations

from collections import deque

import json

DEDUPE_WINDOW_NS = 3_600 * 10**9  # an hour: far beyond any retry of an intake
BLOCK_SIZE = 32  # ids whose JSON is made together, once


class RecentIds:
    """The ids added during the last `window_ns` of event time.

    >>> recent = RecentIds(window_ns=10)
    >>> recent.add("a", 100)
    >>> recent.add("b", 105)
    >>> "a" in recent, recent.is_stale(89), recent.is_stale(95)
    (True, True, False)
    >>> recent.add("c", 111)  # "a" is now older than the window
    >>> "a" in recent, "b" in recent, len(recent)
    (False, True, 2)
    """

    __slots__ = ("window_ns", "ids", "blocks", "encoded", "head", "latest_ns")

    def __init__(self, window_ns: int = DEDUPE_WINDOW_NS) -> None:
        self.window_ns = window_ns
        self.ids: set[str] = set()
        # (ts_ns, id) in the order added, in blocks; only the last block grows. `encoded[i]` is the
        # JSON of `blocks[i]` once that block is full, so only the last block may lack one; `head`
        # counts the first block's entries already out of the window.
        self.blocks: deque[list[tuple[int, str]]] = deque()
        self.encoded: deque[str] = deque()
        self.head = 0
        self.latest_ns = 0  # the newest timestamp added; the window ends here

    def __contains__(self, id_: str) -> bool:
        return id_ in self.ids

    def __len__(self) -> int:
        return len(self.ids)

    def is_stale(self, ts_ns: int) -> bool:
        """Older than the window: a copy of such a command may already be forgotten."""
        return ts_ns < self.latest_ns - self.window_ns

    def add(self, id_: str, ts_ns: int) -> None:
        if ts_ns > self.latest_ns:
            self.latest_ns = ts_ns
        horizon = self.latest_ns - self.window_ns
        blocks = self.blocks
        if blocks and blocks[0][self.head][0] < horizon:  # the oldest entry left the window
            self._forget_before(horizon)
        if ts_ns < horizon or id_ in self.ids:
            return
        self.ids.add(id_)
        if len(self.encoded) == len(blocks):  # no block, or the last one is full
            blocks.append([])
        block = blocks[-1]
        block.append((ts_ns, id_))
        if len(block) >= BLOCK_SIZE:
            self.encoded.append(_encode(block))

    def _forget_before(self, horizon: int) -> None:
        blocks = self.blocks
        while blocks:
            first = blocks[0]
            while self.head < len(first) and first[self.head][0] < horizon:
                self.ids.discard(first[self.head][1])
                self.head += 1
            if self.head < len(first):
                return
            if len(blocks) > 1 or self.encoded:  # it is full: its JSON goes with it
                self.encoded.popleft()
            blocks.popleft()  # every entry of it is out of the window
            self.head = 0

    def to_snapshot(self) -> dict:
        """The window: the JSON of its full blocks, and the block still filling as columns
        `[[ts_ns, ...], [id, ...]]`. Equal histories give equal snapshots."""
        filling = self.blocks[-1] if len(self.encoded) < len(self.blocks) else []
        return {"latest_ns": self.latest_ns, "head": self.head, "full": list(self.encoded),
                "filling": _columns(filling)}

    @classmethod
    def from_snapshot(cls, snapshot: dict, window_ns: int = DEDUPE_WINDOW_NS) -> RecentIds:
        recent = cls(window_ns)
        recent.latest_ns, recent.head = snapshot["latest_ns"], snapshot["head"]
        for encoded in snapshot["full"]:
            recent.blocks.append(list(zip(*json.loads(encoded))))
            recent.encoded.append(encoded)
        if snapshot["filling"][0]:
            recent.blocks.append(list(zip(*snapshot["filling"])))
        for index, block in enumerate(recent.blocks):
            recent.ids.update(id_ for _, id_ in block[recent.head if index == 0 else 0:])
        return recent


def _columns(block: list[tuple[int, str]]) -> list[list]:
    return [[ts_ns for ts_ns, _ in block], [id_ for _, id_ in block]]


def _encode(block: list[tuple[int, str]]) -> str:
    return json.dumps(_columns(block), separators=(",", ":"), ensure_ascii=False)
