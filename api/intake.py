"""Order entry's only way out: commands to `account.commands`, keyed by account, acknowledged by Kafka.

The producer is the project's idempotent `acks=all` one. `submit` returns once the broker has the
command (so an answered request is never lost) and raises `KafkaError` if it cannot get there in
time. A background thread serves delivery reports: the reports of one poll are handed back to the
event loop in one call (one wake-up per batch, not per command), and `linger.ms` lets the producer
send the commands of concurrent requests together.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict

from connectors.kafka.client import make_producer
from connectors.kafka.errors import KafkaError
from connectors.kafka.serde import encode_events, encode_key
from connectors.kafka.topics import ACCOUNT_COMMANDS, check_event
from connectors.settings import KafkaSettings
from matcher.messages import to_dict

log = logging.getLogger(__name__)
DELIVERY_TIMEOUT_MS = 10_000
LINGER_MS = 5  # a request waits at most this long for others to share its produce request


def _settle(reports: list[tuple[asyncio.Future, object]]) -> None:
    for future, error in reports:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(KafkaError(f"account.commands refused the command: {error}"))


class CommandIntake:
    def __init__(self, settings: KafkaSettings) -> None:
        self._producer = make_producer(settings, **{"message.timeout.ms": DELIVERY_TIMEOUT_MS,
                                                    "linger.ms": LINGER_MS})
        self._topic = settings.topic(ACCOUNT_COMMANDS.name)
        self._stopping = threading.Event()
        self._reports: dict[asyncio.AbstractEventLoop, list] = defaultdict(list)  # filled by the poll thread
        self._poller = threading.Thread(target=self._serve_delivery_reports, name="intake-poll", daemon=True)
        self._poller.start()

    async def submit(self, command) -> None:
        """Write one matcher command (PlaceOrder, CancelOrder, AmendOrder, Deposit, Withdraw)."""
        event = to_dict(command)
        check_event(ACCOUNT_COMMANDS, event)
        loop = asyncio.get_running_loop()
        delivered = loop.create_future()
        try:
            self._producer.produce(
                self._topic, encode_events([event]), encode_key(command.account),
                on_delivery=lambda error, _msg: self._reports[loop].append((delivered, error)),
            )
        except BufferError:
            raise KafkaError("the command queue to Kafka is full; retry shortly") from None
        # No timer of our own: librdkafka reports every message, delivered or failed, within
        # `message.timeout.ms`, and the poll thread hands that report back.
        await delivered

    def _serve_delivery_reports(self) -> None:
        # Delivery callbacks run in this thread, inside poll(); only this thread swaps the lists.
        while not self._stopping.is_set():
            try:
                self._producer.poll(0.05)
                for loop in list(self._reports):
                    reports = self._reports.pop(loop)
                    if reports and not loop.is_closed():
                        loop.call_soon_threadsafe(_settle, reports)
            except Exception:  # never let the thread die: every waiting request depends on it
                log.exception("serving Kafka delivery reports failed; continuing")

    def close(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._poller.join()
        self._producer.flush(timeout_s)
