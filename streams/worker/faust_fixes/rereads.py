"""A message read again after a seek is processed, even when Faust's read offset was moved past it.

Faust (faust-streaming 0.15.3) drops a fetched message whose offset is below the partition's read
offset ("already read"). After a rebalance, recovery seeks every stream partition back to its committed
offset and sets the read offset there; but a message fetched before the seek can still be on its way
into an agent's queue (waiting for the flow to resume), and when it gets there Faust moves the read
offset up to it. The messages between the committed offset and that one, fetched again after the seek,
were then dropped: logged here (as ``re-reading``, before this fix as nothing) with the read offset 4
past the fetched one, and in tests/system/test_workers_scaling.py 15 articles of 80 never came out: the
partition's committed offset stayed in front of the first dropped message, and the output of the
messages processed after it sat in a transaction that Faust never committed (it commits only when an
offset moves), where no read_committed reader sees it. Such a message is now handed on; if it was
processed before the seek it is processed again, as Faust does after every rebalance (the join drops
parts of an article that already came out).

Faust also seeks from inside its fetch loop when the flow is stopped (a rebalance); :func:`in_fetch` tells
offsets.py that such a seek is not the one that ends a recovery.
"""

import contextvars
import logging

from faust.transport import consumer

log = logging.getLogger(__name__)

_getmany = consumer.Consumer.getmany  # Faust's own, kept before install() replaces it
_fetching = contextvars.ContextVar("wirestream_fetching", default=False)  # set in the fetcher's task only


def in_fetch() -> bool:
    """True inside Faust's fetch loop (Consumer.getmany), in the task that runs it."""
    return _fetching.get()


async def _getmany_rereading(self, timeout: float):
    token = _fetching.set(True)
    try:
        async for tp, message in _getmany(self, timeout):
            read = self._read_offset[tp]
            # Changelogs are recovery's (it seeks them to where a table needs them), not the agents'.
            if read is not None and message.offset < read and not self._is_changelog_tp(tp):
                log.info("re-reading %s[%s]@%s: the read offset %s was moved past it after the seek",
                         tp.topic, tp.partition, message.offset, read)
                self._read_offset[tp] = message.offset  # Faust's fetch loop hands on what is not below it
            yield tp, message
    finally:
        try:
            _fetching.reset(token)
        except ValueError:  # closed by another task (the worker stopping): that task's flag is not ours
            pass


def install() -> None:
    consumer.Consumer.getmany = _getmany_rereading
