"""A flush of the producer buffer ends only when every record put into it has reached the producer.

Faust's ProducerBuffer (faust-streaming 0.15.3) holds the changelog records of table writes. Its background
task takes a record off the queue and then awaits the producer's send of it; during that await the
buffer's ``size`` is 0 and ``flush()`` returns at once. The commit guard (agents/exactly_once.py) flushes
the buffer before it lets a commit run, so a commit could overtake a table write still in that await:
the message's offset committed, its changelog record in the next transaction (lost if the worker died
before that one committed), or in none if the worker was stopping and the buffer's task was cancelled.
Found while reading the code for the join-and-SIGTERM loss (offsets.py, the third fix, was that loss);
not seen failing, but tests/streams/worker/test_buffer_fix.py shows the flush returning before the
send. Now the buffer counts the sends in progress and ``flush()`` waits for them.
"""

import asyncio

from faust.transport import producer

_flush = producer.ProducerBuffer.flush  # Faust's own, kept before install() replaces them
_send_pending = producer.ProducerBuffer._send_pending  # noqa: SLF001


class _InFlight:
    """Sends the buffer's task has taken off the queue and not finished."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()


def _in_flight(buffer) -> _InFlight:
    state = buffer.__dict__.get("_ws_in_flight")
    if state is None:  # created on first use, inside the worker's event loop
        state = buffer.__dict__["_ws_in_flight"] = _InFlight()
    return state


async def _send_pending_counted(self, fut) -> None:
    state = _in_flight(self)
    state.count += 1  # before the first await: no moment when the record is neither queued nor counted
    state.idle.clear()
    try:
        await _send_pending(self, fut)
    finally:
        state.count -= 1
        if not state.count:
            state.idle.set()


async def _flush_sent(self) -> None:
    while True:
        await _flush(self)  # Faust's: until the queue is empty (it gives up after 0.1 s without a send)
        state = _in_flight(self)
        if state.count:
            await state.idle.wait()
        elif not self.size:
            return


def install() -> None:
    producer.ProducerBuffer.flush = _flush_sent
    producer.ProducerBuffer._send_pending = _send_pending_counted  # noqa: SLF001
