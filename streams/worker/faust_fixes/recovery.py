"""Table recovery under exactly-once: ask the broker for the changelogs' end offsets.

Faust (faust-streaming 0.15.3) reads the changelog "highwater" before recovering a table. Under
exactly-once it takes the consumer's cached *last stable offset*, which stays unknown (-1) until that
partition has been fetched once. Right after a restart nothing has been fetched, so Faust often
concludes every changelog is empty and starts with empty tables (seen here: the duplicate index was
lost on restart in about half of the runs). A read_committed consumer's ``end_offsets`` asks the broker
(ListOffsets with isolation level read_committed), which answers with the last stable offset itself.
"""

import logging
from time import monotonic

from faust.tables import recovery
from faust.transport.drivers import aiokafka as driver

log = logging.getLogger(__name__)


async def _highwaters(self, partitions):
    consumer = self._ensure_consumer()
    return await consumer.end_offsets(list(partitions))


# A changelog written in transactions ends with a commit marker, never delivered as a message, so the
# last offset read stays below Faust's highwater (end offset - 1). Faust resolves that only after its
# changelog queue has been idle for two 5-second waits (``detect_aborted_tx``): at least 10 s per
# rebalance, and never while other partitions keep sending records — a worker joining while the others
# process, whose GlobalTable partitions receive their writes all the time, stayed in recovery until
# the articles stopped (45 s in tests/system/test_workers_scaling.py). The same check per partition: once its
# fetch position has reached the highwater, no record of it arrived for QUIET seconds and the changelog
# queue is empty (nothing fetched is still waiting to be applied), the rest is markers, and the
# partition is recovered.

QUIET = 2.0
_active_remaining = recovery.Recovery.active_remaining


def _fetch_position(app, tp) -> int | None:
    try:
        subscription = app.consumer._thread._ensure_consumer()._subscription.subscription  # noqa: SLF001
        state = subscription.assignment.state_value(tp) if subscription and subscription.assignment else None
    except Exception:  # noqa: BLE001 - no consumer or assignment (yet): Faust's own check applies
        return None
    return state._position if state is not None else None  # noqa: SLF001 - read without awaiting the thread


def _active_remaining_past_markers(self):
    remaining = _active_remaining(self)
    started = self._recovery_started_at
    if not self.in_recovery or started is None or not self.tables.changelog_queue.empty():
        return remaining
    now = monotonic()
    for tp, left in remaining.items():
        if left <= 0 or now - self._active_events_received_at.get(tp, started) < QUIET:
            continue
        highwater = self.active_highwaters[tp]
        position = _fetch_position(self.app, tp)
        if position is not None and position >= highwater:
            log.info("recovered %s: only transaction markers left before offset %s", tp, highwater)
            self.active_offsets[tp] = highwater  # as Faust's detect_aborted_tx does
            remaining[tp] = 0
    return remaining


def install() -> None:
    driver.AIOKafkaConsumerThread._highwaters = _highwaters
    recovery.Recovery.active_remaining = _active_remaining_past_markers
