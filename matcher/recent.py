"""Ids seen recently, for refusing a command that arrives twice, in bounded memory.

An intake that retries a send can deliver a command twice; the ledger and the book must refuse the
copy. Remembering every id ever seen would grow without end and be copied into every state
snapshot, so ids are kept for a window of *event* time (the commands' own timestamps, never the
clock) and a command older than the window is refused as stale. A copy is then either remembered
or refused: it is never applied twice.
"""

from __future__ import annotations

from collections import deque

DEDUPE_WINDOW_NS = 3_600 * 10**9  # an hour: far beyond any retry of an intake, small enough to snapshot


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

    __slots__ = ("window_ns", "ids", "arrivals", "latest_ns")

    def __init__(self, window_ns: int = DEDUPE_WINDOW_NS) -> None:
        self.window_ns = window_ns
        self.ids: set[str] = set()
        self.arrivals: deque[tuple[int, str]] = deque()  # (ts_ns, id) in the order added
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
        arrivals = self.arrivals
        while arrivals and arrivals[0][0] < horizon:
            self.ids.discard(arrivals.popleft()[1])
        if id_ not in self.ids and ts_ns >= horizon:
            self.ids.add(id_)
            arrivals.append((ts_ns, id_))

    def to_columns(self) -> list[list]:
        """[[ts_ns, ...], [id, ...]] in the order added: equal histories give equal columns."""
        return [[ts_ns for ts_ns, _ in self.arrivals], [id_ for _, id_ in self.arrivals]]

    @classmethod
    def from_columns(cls, columns: list[list], window_ns: int = DEDUPE_WINDOW_NS) -> RecentIds:
        times, ids = columns
        recent = cls(window_ns)
        recent.arrivals.extend(zip(times, ids))
        recent.ids.update(ids)
        recent.latest_ns = max(times, default=0)
        return recent
