"""agents/exactly_once.py CommitGuard when the worker stops: the step in progress ends, no other begins."""

import asyncio
from types import SimpleNamespace

from agents.exactly_once import CommitGuard


def fake_app():
    async def commit(*args, **kwargs):
        return True

    async def flush():
        pass

    return SimpleNamespace(consumer=SimpleNamespace(commit=commit),
                           producer=SimpleNamespace(buffer=SimpleNamespace(size=0, flush=flush)))


def test_close_waits_for_the_step_in_progress_and_no_step_begins_after_it():
    sent = []

    async def scenario():
        guard = CommitGuard(fake_app())

        async def agent(name: str, delay: float):
            await asyncio.sleep(delay)
            async with guard.step():
                await asyncio.sleep(0.2)  # sends awaiting the producer
                sent.append(name)

        first = asyncio.ensure_future(agent("in progress", 0))
        late = asyncio.ensure_future(agent("after close", 0.05))
        await asyncio.sleep(0.02)
        await guard.close()  # what the worker does before Faust cancels its agents
        assert sent == ["in progress"]
        await asyncio.sleep(0.3)
        assert not late.done()  # waits, with nothing sent, until Faust cancels it
        late.cancel()
        await asyncio.gather(first, late, return_exceptions=True)
        assert not guard.lock.locked()  # the last commit can still take the lock

    asyncio.run(scenario())
    assert sent == ["in progress"]
