"""Close Faust's exactly-once gap: a message's output and its offset must commit in one transaction.

Faust commits, every ``broker_commit_interval``, the open transaction of each partition number together
with the offsets of the messages *acknowledged so far*. An agent's sends go into the open transaction
at once, but its message is acknowledged only when the agent asks for the next one. A commit that runs
in between (any ``await`` of a send can yield to it, e.g. when a producer batch is full) commits the
output without the offset: after a crash the message is processed again and its output appears twice
(faust-streaming issues #177 and #517). Table writes are worse: Faust buffers their changelog records
and sends them later, possibly in a transaction *after* the one that commits the offset, so a crash
loses them.

:class:`CommitGuard` makes each processing step atomic with respect to commits: an agent sends all the
output of a message (and flushes the table changelog buffer) while holding a lock that Faust's commit
also takes. The step ends with the agent's loop body, and Faust acknowledges the message synchronously
right after it, before any other task runs, so the next commit sees output and offset together.

A step also runs to its end when the worker stops. On SIGTERM Faust cancels the agents and then makes its
last commit; an agent cancelled inside a step (the step awaits its sends and the flush of the table
changelog) left part of a message's output in the transaction without the message's offset: the join's
"done" marker without the enriched record (the article then lost: the next owner of the partition drops
its parts as already joined) or the record without the marker (a duplicate). :meth:`CommitGuard.close`,
called before Faust cancels the agents, waits for the step in progress and lets no other begin.

A record is readable downstream only once its transaction commits, and Faust commits on a timer, so each
hop of an article waited for the next tick (half the interval on average). With ``quiet`` set, the guard
also commits as soon as no step has ended for ``quiet`` seconds: a worker with nothing in hand commits at
once (latency at low and moderate rates), one under load keeps committing on the timer only (steps never
pause that long), so throughput keeps its batching. The commit is Faust's own, under the same lock.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)


class CommitGuard:
    def __init__(self, app, quiet: float = 0.0):
        self.app = app
        self.quiet = quiet  # seconds without a step before committing early (0: the timer only)
        self._lock: asyncio.Lock | None = None
        self._guarded = None  # the consumer whose commit() takes the lock
        self._closed = False
        self._steps = 0  # steps ended so far: tells the early commit whether the worker went quiet
        self._early: asyncio.Task | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:  # created on first use, inside the worker's event loop
            self._lock = asyncio.Lock()
        return self._lock

    def _guard_commits(self) -> None:
        consumer = self.app.consumer
        if self._guarded is consumer:
            return
        commit = consumer.commit

        async def guarded_commit(*args, **kwargs):
            async with self.lock:
                return await commit(*args, **kwargs)

        consumer.commit = guarded_commit  # every commit path (timer, rebalance, stop) calls self.commit()
        self._guarded = consumer

    @contextlib.asynccontextmanager
    async def step(self) -> AsyncIterator[None]:
        """Send a message's output (and modify tables) inside this block, as the last thing the loop
        body does for that message; do no slow work (NLP) inside it."""
        self._guard_commits()
        await self.lock.acquire()
        if self._closed:  # the worker is stopping: nothing of this message was sent, nor will be
            self.lock.release()
            await asyncio.Event().wait()  # until Faust cancels the agent
        try:
            yield
            # Table changelog records into this transaction, all of them: Faust's own flush() gave up
            # after 0.1 s without a message sent and did not wait for the record its task was sending;
            # as streams/worker/faust_fixes/buffer.py (applied by create_app) makes it, it returns only
            # once the queue is empty and no send is in progress.
            await self.app.producer.buffer.flush()
        finally:
            self.lock.release()
        self._steps += 1
        if self.quiet > 0 and (self._early is None or self._early.done()):
            self._early = asyncio.ensure_future(self._commit_when_quiet())

    async def _commit_when_quiet(self) -> None:
        """Commit once no step has ended for ``quiet`` seconds. Runs as its own task, so the step's
        message has been acknowledged (Faust does it right after the loop body) before it commits."""
        while True:
            seen = self._steps
            await asyncio.sleep(self.quiet)
            if self._closed:
                return
            if self._steps == seen and not self.lock.locked():
                break
        try:
            await self.app.consumer.commit()  # guarded: waits for no step; Faust's timer may be at it
        except Exception:  # noqa: BLE001 - the timer's next commit takes these offsets; say why
            log.exception("early commit failed")

    async def close(self) -> None:
        """Wait for the step in progress to end and let no other begin (the worker is stopping)."""
        self._closed = True
        async with self.lock:
            pass


DONE = "done"


def _position(slot: str) -> tuple[int, int]:
    """``"p:offset"`` or ``"p:offset/index"`` (an article instance, see agents/pipeline.py) -> order."""
    offset, _, index = slot.partition(":")[2].partition("/")
    return int(offset), int(index or 0)


class Finished:
    """Which article instances of a join table already came out, so parts replayed after a crash are
    ignored instead of starting the article again.

    Needed although outputs and offsets commit together: Faust (0.15.3) sometimes commits a smaller
    offset than it acknowledged (a duplicate in its acked list, from gap filling around transaction
    markers, ends the run of consecutive offsets early), so after a crash a few messages whose output
    is already committed are processed again. The marker replaces the parts in the table, in the same
    guarded step as the output, so the two commit together. The ``keep`` newest markers of each
    partition are kept; a replay never reaches further back than the commit lag (a few dozen).
    """

    def __init__(self, table, keep: int = 10_000):
        self.table = table
        self.keep = keep
        self._recent: dict[str, deque] = {}

    def __contains__(self, slot: str) -> bool:
        return bool(self.table[slot].get(DONE))

    def add(self, slot: str) -> None:
        """Mark ``slot`` finished; call it while handling a message of the slot's own partition (table
        writes go to the changelog partition of the current message)."""
        partition = slot.partition(":")[0]
        recent = self._recent.get(partition)
        if recent is None:  # first use since start: markers recovered from the changelog count too
            mine = [key for key in list(self.table.keys())
                    if key.startswith(f"{partition}:") and key != slot and key in self]
            recent = self._recent[partition] = deque(sorted(mine, key=_position))
        self.table[slot] = {DONE: True}
        recent.append(slot)
        while len(recent) > self.keep:
            del self.table[recent.popleft()]
