"""streams/worker/faust_fixes/offsets.py: Faust's gap filling never commits past a delivered, unprocessed
message."""

from collections import defaultdict

from faust.transport.consumer import Consumer
from faust.types import TP as FaustTP
from intervaltree import IntervalTree

from streams.worker.faust_fixes import offsets as offsets_fix

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
        self.sought = False

    def _get_active_partitions(self):
        return self._active

    def _is_changelog_tp(self, tp) -> bool:
        return tp.topic.endswith("-changelog")

    async def seek_to_committed(self):
        self.sought = True
        return {RAW0: 7}


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
