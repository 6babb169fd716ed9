"""streams/worker/faust_fixes/buffer.py: a flush waits for the record the buffer's task is still sending,
so the commit guard's step (agents/exactly_once.py) ends only once its table writes are in the producer."""

import asyncio
from types import SimpleNamespace

from faust.transport.producer import ProducerBuffer

from agents.exactly_once import CommitGuard
from streams.worker import faust_fixes


def slow_record(sent: list, name: str, seconds: float):
    """A FutureMessage whose send (``channel.publish_message``) takes ``seconds``, as a producer awaiting
    metadata or batch space does."""
    async def publish_message(fut, wait=False):
        await asyncio.sleep(seconds)
        sent.append(name)

    return SimpleNamespace(message=SimpleNamespace(channel=SimpleNamespace(publish_message=publish_message)))


async def running_buffer() -> ProducerBuffer:
    buffer = ProducerBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    await buffer.start()  # its task that sends what is put
    return buffer


def test_flush_waits_for_the_record_being_sent():
    faust_fixes.apply()
    sent = []

    async def scenario():
        buffer = await running_buffer()
        try:
            buffer.put(slow_record(sent, "changelog record", 0.3))
            await asyncio.sleep(0.05)
            assert buffer.size == 0  # the task took it off the queue and is sending it
            await buffer.flush()
            assert sent == ["changelog record"]
        finally:
            await buffer.stop()

    asyncio.run(scenario())


def test_a_commit_after_a_step_finds_its_table_writes_sent():
    faust_fixes.apply()
    sent = []

    async def scenario():
        buffer = await running_buffer()
        seen_by_commit = []

        async def commit(*args, **kwargs):
            seen_by_commit.append(list(sent))

        app = SimpleNamespace(consumer=SimpleNamespace(commit=commit),
                              producer=SimpleNamespace(buffer=buffer))
        guard = CommitGuard(app)
        try:
            async def agent():
                async with guard.step():
                    buffer.put(slow_record(sent, "part", 0.2))  # what a table write does
                    await asyncio.sleep(0.01)  # the step's own sends: the buffer's task takes the record

            step = asyncio.ensure_future(agent())
            await asyncio.sleep(0.005)
            await app.consumer.commit()  # the timer's commit, waiting for the step
            await step
        finally:
            await buffer.stop()
        assert seen_by_commit == [["part"]]

    asyncio.run(scenario())
