"""Order entry's only way out: commands to `account.commands`, keyed by account, acknowledged by Kafka.

The producer is the project's idempotent `acks=all` one. `submit` returns once the broker has the
command (so an answered request is never lost) and raises `KafkaError` if it cannot get there in
time. A background thread serves delivery reports and hands each back to the event loop that waits.
"""

from __future__ import annotations

import asyncio
import threading

from connectors.kafka.client import make_producer
from connectors.kafka.errors import KafkaError
from connectors.kafka.serde import encode_event, encode_key
from connectors.kafka.topics import ACCOUNT_COMMANDS, check_event
from connectors.settings import KafkaSettings
from matcher.messages import to_dict

DELIVERY_TIMEOUT_MS = 10_000


def _settle(future: asyncio.Future, error) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(KafkaError(f"account.commands refused the command: {error}"))


class CommandIntake:
    def __init__(self, settings: KafkaSettings) -> None:
        self._producer = make_producer(settings, **{"message.timeout.ms": DELIVERY_TIMEOUT_MS})
        self._topic = settings.topic(ACCOUNT_COMMANDS.name)
        self._stopping = threading.Event()
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
                self._topic, encode_event(event), encode_key(command.account),
                on_delivery=lambda error, _msg: loop.call_soon_threadsafe(_settle, delivered, error),
            )
        except BufferError:
            raise KafkaError("the command queue to Kafka is full; retry shortly") from None
        await asyncio.wait_for(delivered, DELIVERY_TIMEOUT_MS / 1000 + 1)

    def _serve_delivery_reports(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.05)

    def close(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._poller.join()
        self._producer.flush(timeout_s)
