"""streams/worker/faust_fixes/offsets.py: Faust's gap filling never commits past a delivered, unprocessed
message."""

from collections import defaultdict

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP as FaustTP
from intervaltree import IntervalTree

from streams.worker import faust_fixes
from streams.worker.faust_fixes import offsets as offsets_fix


@pytest.fixture(autouse=True, scope="module")
def fixes_installed():
    faust_fixes.apply()  # what create_app() does before any worker starts

TP = "raw-0"


class Offsets:
    """The part of a Faust Consumer that decides the next committed offset of a partition."""

    def __init__(self, committed: int):
        self._committed_offset = defaultdict(lambda: None, {TP: committed})
        self._acked = defaultdict(list)
        self._acked_index = defaultdict(set)
        self._gap = defaultdict(IntervalTree)

    def deliver(self, offset: int) -> None:
        offsets_fix.record_delivery(self, TP, offset)

    def ack(self, offset: int) -> None:
        self._acked[TP].append(offset)
        self._acked_index[TP].add(offset)

    def commit(self, new_offset) -> int | None:
        offset = new_offset(self, TP)
        if offset is not None:
            self._committed_offset[TP] = offset
        return offset


def after_restart() -> Offsets:
    """As logged after a SIGKILL and restart: committed 216; 217 and 218 delivered while recovery had
    already resumed the partition; the seek to 216 resets Faust's read offset, so when 219 arrives
    Faust records the gap 217..219 (its own message included: interval end 220). 219 and 220 are
    processed; 217 and 218 are not (yet)."""
    state = Offsets(committed=216)
    state.deliver(217)
    state.deliver(218)
    state._gap[TP].addi(217, 220)
    for offset in (219, 220):
        state.deliver(offset)
    for offset in (219, 220):
        state.ack(offset)
    return state


def test_faust_alone_commits_over_the_unprocessed_message():
    state = after_restart()
    assert state.commit(offsets_fix._new_offset) == 220  # Faust's own method: 217 and 218 are lost


def test_the_commit_stops_in_front_of_a_delivered_unprocessed_message_then_moves_on():
    state = after_restart()
    assert state.commit(Consumer._new_offset) is None  # 217 is not processed yet
    state.ack(217)
    assert state.commit(Consumer._new_offset) == 218  # 217 is done, 218 is not
    assert state.commit(Consumer._new_offset) is None  # nothing more until 218 is processed
    state.ack(218)
    assert state.commit(Consumer._new_offset) == 221
    assert not offsets_fix._delivered(state)[TP]


def test_true_gaps_still_fill():
    # 300, then a transaction marker at 301, then 302: the marker must not hold the commit back.
    state = Offsets(committed=300)
    state.deliver(300)
    state._gap[TP].addi(301, 303)  # as Faust records it when 302 arrives
    state.deliver(302)
    state.ack(300)
    state.ack(302)
    assert state.commit(Consumer._new_offset) == 303


RAW0, RAW1, PARTS0 = FaustTP("raw", 0), FaustTP("raw", 1), FaustTP("parts-changelog", 0)


class Partitions:
    """The part of a Faust Consumer that pauses, resumes and seeks partitions."""

    def __init__(self):
        self._active = set()
        self._paused_partitions = set()
        self._read_offset = defaultdict(lambda: None)
        self._committed_offset = defaultdict(lambda: None)
        self._acked = defaultdict(list)
        self._acked_index = defaultdict(set)
        self.sought = False
        self.assigned = {RAW0, RAW1, PARTS0}
        self.sought_to = {}

    def assignment(self):
        return set(self.assigned)

    async def earliest_offsets(self, *tps):
        return {tp: 0 for tp in tps}

    async def seek_wait(self, offsets):
        self.sought_to.update(offsets)

    def _get_active_partitions(self):
        return self._active

    def _is_changelog_tp(self, tp) -> bool:
        return tp.topic.endswith("-changelog")

    async def seek_to_committed(self):
        self.sought = True
        return {RAW0: 7, RAW1: 2}


def test_stream_partitions_resume_only_once_sought():
    import asyncio

    state = Partitions()
    state.__dict__["_ws_seek_pending"] = True  # as set when partitions are assigned
    Consumer.resume_partitions(state, {RAW0, PARTS0})  # what recovery does before seeking
    assert state._active == {PARTS0}
    asyncio.run(Consumer.perform_seek(state))
    assert state.sought and state._active == {RAW0, PARTS0}
    assert state._read_offset[RAW0] == 7
    Consumer.resume_partitions(state, {RAW1})  # later resumes are not held back
    assert RAW1 in state._active


def test_no_commit_from_a_revocation_until_the_seek_then_only_what_is_processed_again():
    """Faust forgets the committed offsets on a revocation; an agent finishing a message meanwhile
    acknowledges 9 and 10, while 7 and 8 were dropped from its queue. Faust alone commits 11."""
    import asyncio

    from aiokafka import TopicPartition

    raw0 = TopicPartition("raw", 0)  # acknowledgements are keyed like this; the seek's keys are Faust's TP

    def ack(state, *offsets):
        for offset in offsets:
            state._acked[raw0].append(offset)
            state._acked_index[raw0].add(offset)

    state = Partitions()
    state._gap = defaultdict(IntervalTree)
    state.__dict__["_ws_seek_pending"] = True  # as the revocation sets it
    ack(state, 9, 10)
    assert offsets_fix._new_offset(state, raw0) == 11  # Faust's own: 7 and 8 lost
    ack(state, 9, 10)
    assert Consumer._new_offset(state, raw0) is None

    async def seek_to_committed():
        return {RAW0: 7, RAW1: 3}  # raw 1: no acknowledgement yet

    state.seek_to_committed = seek_to_committed
    asyncio.run(Consumer.perform_seek(state))  # committed 7: everything from 7 on is read again
    assert not state.__dict__["_ws_seek_pending"]
    assert state._acked[raw0] == [] and state._acked_index[raw0] == set()
    assert all(type(tp) is TopicPartition for tp in state._acked)  # aiokafka's commit takes no other
    assert Consumer._new_offset(state, raw0) is None


def test_a_message_read_again_after_the_seek_is_handed_on():
    """The read offset was moved to 10 by a message fetched before the seek; 7, fetched again after
    it, would be dropped by Faust's fetch loop as already read."""
    import asyncio

    from streams.worker.faust_fixes import rereads

    class Fetched:
        offset = 7

    state = Partitions()
    state._read_offset[RAW0] = 10

    async def faust_getmany(self, timeout):
        yield RAW0, Fetched()

    async def fetch():
        original, rereads._getmany = rereads._getmany, faust_getmany
        try:
            return [m async for m in rereads._getmany_rereading(state, 1.0)]
        finally:
            rereads._getmany = original

    assert len(asyncio.run(fetch())) == 1
    assert state._read_offset[RAW0] == 7  # Faust's loop hands on offsets not below its read offset
    state._read_offset[PARTS0] = 10

    async def faust_getmany(self, timeout):  # noqa: F811 - a changelog: recovery's business
        yield PARTS0, Fetched()

    asyncio.run(fetch())
    assert state._read_offset[PARTS0] == 10


def test_the_fetch_loop_closed_by_another_task_does_not_raise():
    """On SIGTERM the fetcher's generator is closed from another task (another context): resetting the
    fetch flag there raised ValueError ("Token … was created in a different Context")."""
    import asyncio

    from streams.worker.faust_fixes import rereads

    class Fetched:
        offset = 11

    state = Partitions()

    async def faust_getmany(self, timeout):
        while True:
            yield RAW0, Fetched()

    async def scenario():
        original, rereads._getmany = rereads._getmany, faust_getmany
        try:
            fetching = rereads._getmany_rereading(state, 1.0)
            first = await asyncio.ensure_future(fetching.__anext__())  # in the fetcher's task
            assert first[0] == RAW0
            await asyncio.ensure_future(fetching.aclose())  # the worker stopping, from another task
        finally:
            rereads._getmany = original

    asyncio.run(scenario())
    assert not rereads.in_fetch()


class Message:
    topic, partition = "raw", 0

    def __init__(self, offset: int, acked: list):
        self.offset, self._acked = offset, acked

    def ack(self, consumer) -> bool:
        self._acked.append(self.offset)
        return True


def test_a_stream_closed_in_the_middle_of_a_batch_does_not_acknowledge_it():
    """As Faust's take_events does: the batch is acknowledged in a ``finally`` around its ``yield``.
    Processed to the end (the agent asks for the next batch): acknowledged. The agent cancelled in the
    middle (a worker stopped with SIGTERM), the generator then closed: not acknowledged."""
    import asyncio

    from faust.events import Event

    class App:
        consumer = None

    acked: list = []

    def batches():
        async def gen():
            for first in (1, 3):
                events = [Event(App(), None, b"x", None, Message(o, acked)) for o in (first, first + 1)]
                try:
                    yield events
                finally:
                    for event in events:
                        event.ack()
        return gen()

    async def agent(stream, stop_at: int):
        async for events in stream:
            if events[0].message.offset == stop_at:
                await asyncio.sleep(10)  # still busy with this batch when cancelled

    async def stopped_mid_batch():
        stream = batches()
        task = asyncio.ensure_future(agent(stream, stop_at=3))
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stream.aclose()  # what the event loop's async-generator finalizer does

    asyncio.run(stopped_mid_batch())
    assert acked == [1, 2]  # 3 and 4 were never processed: the commit must stop in front of them

    async def all_done():
        async for _ in batches():
            pass

    acked.clear()
    asyncio.run(all_done())
    assert acked == [1, 2, 3, 4]


def test_a_partition_with_nothing_committed_is_read_again_from_its_first_offset():
    """aiokafka's seek_to_committed seeks only partitions committed above 0: raw 1 (nothing committed,
    as on every partition of a fresh deployment) kept its fetch position, so 0 and 1, fetched and
    dropped by Faust during the rebalance, were never read again, and Faust committed 4 over them."""
    import asyncio

    from aiokafka import TopicPartition

    raw1 = TopicPartition("raw", 1)
    state = Partitions()
    state._gap = defaultdict(IntervalTree)
    state.__dict__["_ws_seek_pending"] = True
    for offset in (2, 3):  # processed before the seek
        state._acked[raw1].append(offset)
        state._acked_index[raw1].add(offset)

    async def seek_to_committed():
        return {RAW0: 7, RAW1: None}

    state.seek_to_committed = seek_to_committed
    asyncio.run(Consumer.perform_seek(state))
    assert state.sought_to == {RAW1: 0}  # the changelog is recovery's; raw 0 was sought to 7 already
    assert state._acked[raw1] == [] and Consumer._new_offset(state, raw1) is None


def test_an_event_in_flight_when_its_agent_stops_is_not_acknowledged():
    """``Stream.events()``, as the stage agents and the join iterate: the event the agent was still busy
    with when it was cancelled (a worker stopped with SIGTERM) is not acknowledged, whichever of Faust's
    stream iterators runs (its compiled one acknowledged inline, past the refusal)."""
    import asyncio
    import gc

    import faust
    from faust.events import Event
    from faust.types import Message as FaustMessage

    faust_fixes.apply()

    async def scenario():
        app = faust.App("acks-test", broker="kafka://127.0.0.1:1")  # never connects
        app.flow_control.resume()
        messages = [FaustMessage("parts", 0, offset, 0.0, 0, {}, b"k", b"v", None,
                                 generation_id=app.consumer_generation_id) for offset in (5, 6)]

        async def source():
            for message in messages:
                yield Event(app, b"k", b"v", {}, message)
            await asyncio.Event().wait()

        busy = asyncio.Event()

        async def agent():
            async for event in app.stream(source()).events():
                if event.message.offset == 6:
                    busy.set()
                    await asyncio.Event().wait()  # e.g. a step waiting behind the closed commit guard

        task = asyncio.ensure_future(agent())
        await busy.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gc.collect()  # the stream's generators are closed by the loop's finalizer, as in a worker
        await asyncio.sleep(0.1)
        return [message.acked for message in messages]

    assert asyncio.run(scenario()) == [True, False]
