"""Never process a message before its partition is sought, never commit past one that was not processed.

Faust (faust-streaming 0.15.3) commits, per partition, the end of the run of consecutive acknowledged
offsets, and fills the holes of that run with "gaps": offsets the fetcher jumped over, which under
read_committed are transaction markers and aborted records. The gaps are computed from the offset of
the previous message read, and that baseline is not always what the streams saw: recovery resumes the
stream partitions *before* seeking them to the committed offsets, so messages fetched in between are
handed to the agents while the seek resets the baseline behind them; and the recorded gap also covers
the message that revealed it. Seen here after worker restarts: a gap ``[217, 219]`` recorded while
217 was being processed and 218 was never processed, then committed over, so a join part was lost
(3-4 articles of 500 with three SIGKILLs).

Two fixes. First, after an assignment the stream partitions stay paused until they have been sought
to their committed offsets (``perform_seek``): recovery resumes them *before* the seek, which asks the
broker for 40 committed offsets (about a second), and messages fetched in that window were handed to
the agents, then dropped as "already read" when fetched again after the seek. Second, as a safety
net, offsets delivered to the agents and not yet acknowledged are never filled in as gaps, so the
committed offset stops in front of them: a message delivered and then dropped holds the commit of its
partition back (a visible lag) instead of being lost.

Third, an agent that stops in the middle of a message does not acknowledge it. Faust's streams
acknowledge the current event (``Stream.__aiter__``), or the whole batch (``Stream.take_events``), in a
``finally`` around the ``yield``; when a worker is stopped (SIGTERM) its agents are cancelled in the
middle of a batch, the generator is closed, and the ``finally`` acknowledged what was never processed;
the shutdown commit then moved past it (4 raw articles lost per stopped worker in
tests/test_workers_scaling.py: parsed by nobody, the next owner started after them). An ``ack`` made
while a stream's generator is being closed (``GeneratorExit``) or cancelled is now refused, so the
commit stops in front of those messages and the next owner of the partition processes them. That
refusal lives in ``Event.ack``, which Faust's compiled stream iterator (``faust._cython.streams``,
used whenever its extension is installed, as it is from the wheel) never calls: it acknowledges inline.
So the batches of ``take_events`` (the validate agent) were protected, but an event of ``Stream.events()``
(the stage agents, the join) that was in flight when the worker stopped was still acknowledged: the
join's step waiting behind the closed commit guard (agents/exactly_once.py) was cancelled and its part
committed as done. Read back from the broker's logs of two failed runs of the join-and-SIGTERM test: a
part on ``articles.partial``, the group's offset committed past it by the stopping worker, the part in no
changelog record; the next owner waited for it for ever. The streams now use Faust's pure-Python
iterator, which acknowledges through ``Event.ack``; it costs no more (bench/stream_iterator.py: 6.4–6.5
against 7.0–8.2 µs of CPU per event).

Fourth, no commit between a rebalance's revocation and the seek that ends the recovery after it. Faust
forgets every partition's committed offset and acknowledgements when partitions are revoked (all of
them: aiokafka rebalances eagerly), and its agents go on finishing the messages they hold. Without a
committed offset to start from, Faust commits the first run of acknowledged offsets wherever it starts,
past messages it dropped from the agents' queues meanwhile; and a commit made after another worker took
the partition over is fenced (ProducerFenced, the worker crashed). After the seek every partition
starts again from its committed offset, so acknowledgements from before it are dropped: everything
after that offset is read and processed again (the join drops parts of articles it already joined).

Fifth, that seek covers partitions nothing was committed on yet: they are sought to their first offset
(:func:`_seek_uncommitted_to_start`).
"""

import asyncio
import logging
import sys
from collections import defaultdict

from aiokafka.errors import IllegalStateError
from faust import events
from faust import streams as faust_streams
from faust.transport import conductor, consumer

from streams.worker.faust_fixes import rereads

log = logging.getLogger(__name__)

# Faust's own methods, kept before install() replaces them (the fixes call them).
_compile = conductor.Conductor._compile_message_handler
_new_offset = consumer.Consumer._new_offset
_revoked = consumer.Consumer.on_partitions_revoked
_perform_seek = consumer.Consumer.perform_seek
_assigned = consumer.Consumer.on_partitions_assigned
_resume = consumer.Consumer.resume_partitions


async def _on_partitions_assigned(self, assigned, generation_id: int = 0):
    self.__dict__["_ws_seek_pending"] = True  # until recovery has sought the stream partitions
    return await _assigned(self, assigned, generation_id)


def _resume_partitions(self, tps):
    tps = consumer.ensure_TPset(tps)
    if self.__dict__.get("_ws_seek_pending"):
        held = {tp for tp in tps if not self._is_changelog_tp(tp)}
        self.__dict__.setdefault("_ws_held", set()).update(held)
        tps -= held
    return _resume(self, tps)


async def _perform_seek_then_resume(self):
    if rereads.in_fetch():  # Faust's own seek while the flow is stopped: the rebalance is not over
        await _perform_seek(self)
        await _seek_uncommitted_to_start(self)
        return
    try:
        await _perform_seek(self)
        starts = await _seek_uncommitted_to_start(self)
        _forget_acks_from_before_the_seek(self, starts)
    finally:
        self.__dict__["_ws_seek_pending"] = False
        _resume(self, self.__dict__.pop("_ws_held", set()))


async def _seek_uncommitted_to_start(self) -> dict:
    """Seek every stream partition with no committed offset (or 0) to its first offset; return where
    each stream partition now starts.

    aiokafka's ``seek_to_committed`` seeks only partitions whose committed offset is above 0 and leaves
    the others at their fetch position. Faust drops what it fetched during a rebalance and relies on
    that seek to read it again, so on a partition nothing was committed on yet (every partition of a
    fresh deployment) such a message was never read again: the first article of a partition, produced
    while two workers started at the same moment, was lost (1 of 40, twice in 12 rounds).
    """
    committed = self._committed_offset
    starts = {tp: offset for tp, offset in committed.items() if offset}
    unsought = [tp for tp in self.assignment() if not self._is_changelog_tp(tp) and not committed.get(tp)]
    if unsought:
        earliest = await self.earliest_offsets(*unsought)
        first = {tp: earliest[tp] for tp in unsought}
        log.info("seeking %d partitions with no committed offset to their first offset", len(first))
        try:
            await self.seek_wait(first)
        except IllegalStateError as exc:  # a partition went: a rebalance began, whose recovery seeks again
            log.info("not seeking partitions without a committed offset: %s", exc)
            return starts
        starts.update(first)
    return starts


def _forget_acks_from_before_the_seek(self, starts: dict) -> None:
    """Every offset from where a partition starts again (its committed offset, or its first) is read
    again: acknowledgements and deliveries recorded before the seek no longer describe what the agents
    will process. In place, under Faust's own keys: its commit hands them to aiokafka, which takes only
    aiokafka's TopicPartition (the seek's are Faust's TP, equal but not accepted)."""
    pending = _delivered(self)
    for tp, acked in self._acked.items():
        if (offset := starts.get(tp)) is not None:
            acked[:] = [o for o in acked if o < offset]
            index = self._acked_index[tp]
            index.difference_update([o for o in index if o >= offset])
    for tp in [tp for tp in pending if starts.get(tp) is not None]:
        del pending[tp]  # delivered again after the seek, and recorded again then


def _delivered(self) -> dict:
    """Per partition: offsets handed to the agents and not yet acknowledged."""
    pending = self.__dict__.get("_ws_delivered")
    if pending is None:
        pending = self.__dict__["_ws_delivered"] = defaultdict(set)
    return pending


def record_delivery(consumer_, tp, offset: int) -> None:
    _delivered(consumer_)[tp].add(offset)


def _compile_message_handler(self):
    on_message = _compile(self)  # built while the app creates its consumer: look that up later
    app, acks_enabled_for = self.app, self.acks_enabled_for

    async def recording_on_message(message):
        if acks_enabled_for(message.topic):
            record_delivery(app.consumer, message.tp, message.offset)
        return await on_message(message)

    return recording_on_message


def _safe_new_offset(self, tp):
    if self.__dict__.get("_ws_seek_pending"):
        return None  # between a revocation and the seek after it: see the module docstring
    pending = _delivered(self)[tp]
    acked_index = self._acked_index[tp]
    pending.difference_update(acked_index)
    committed = self._committed_offset[tp]
    if committed is not None:
        pending.difference_update([o for o in pending if o < committed])
    gaps = self._gap[tp]
    if gaps:  # a message that was delivered is no gap, processed or not (Faust's gap ends on one)
        for offset in pending | acked_index:
            if gaps.overlaps_point(offset):
                log.debug("offset %s of %s was delivered: not a gap", offset, tp)
                gaps.chop(offset, offset + 1)
    if not pending:
        return _new_offset(self, tp)
    acked = self._acked[tp]
    first = min(pending)
    held = [o for o in acked if o > first]
    acked[:] = [o for o in acked if o < first]  # the run of committable offsets ends before ``first``
    try:
        return _new_offset(self, tp)
    finally:
        acked.extend(held)
        acked.sort()


async def _on_partitions_revoked(self, revoked):
    self.__dict__["_ws_seek_pending"] = True  # no commit until the next assignment has been sought
    pending = _delivered(self)
    for tp in revoked:
        pending.pop(tp, None)
    return await _revoked(self, revoked)


_event_ack = events.Event.ack


def _ack_unless_abandoned(self) -> bool:
    if isinstance(sys.exc_info()[1], GeneratorExit | asyncio.CancelledError):
        log.info("not acknowledging %s[%s]@%s: its agent stopped before finishing it (%r)",
                 self.message.topic, self.message.partition, self.message.offset, sys.exc_info()[1])
        return False
    return _event_ack(self)


def install() -> None:
    events.Event.ack = _ack_unless_abandoned
    faust_streams._CStreamIterator = None  # its inline ack would bypass the line above
    conductor.Conductor._compile_message_handler = _compile_message_handler
    consumer.Consumer._new_offset = _safe_new_offset
    consumer.Consumer.on_partitions_revoked = _on_partitions_revoked
    consumer.Consumer.on_partitions_assigned = _on_partitions_assigned
    consumer.Consumer.resume_partitions = _resume_partitions
    consumer.Consumer.perform_seek = _perform_seek_then_resume
