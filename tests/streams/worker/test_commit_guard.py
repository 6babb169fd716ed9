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


def counting_app(in_step: list):
    """A fake app whose commits record whether a step was in progress when they ran."""
    app = fake_app()
    commits = []

    async def commit(*args, **kwargs):
        commits.append(bool(in_step))
        return True

    app.consumer.commit = commit
    return app, commits


async def steps(guard: CommitGuard, in_step: list, count: int, gap: float) -> None:
    for _ in range(count):
        async with guard.step():
            in_step.append(1)
            await asyncio.sleep(0)  # a send
            in_step.pop()
        await asyncio.sleep(gap)


def test_a_quiet_worker_commits_once_its_steps_stop_and_not_while_they_run():
    in_step: list = []

    async def scenario():
        app, commits = counting_app(in_step)
        guard = CommitGuard(app, quiet=0.2)
        await steps(guard, in_step, count=30, gap=0.01)  # busy: steps far closer together than 0.2 s
        assert commits == []  # under load only Faust's timer commits
        await asyncio.sleep(0.5)
        assert commits == [False]  # quiet: one commit, outside any step
        await steps(guard, in_step, count=1, gap=0)
        await asyncio.sleep(0.5)
        assert commits == [False, False]  # and again after the next step

    asyncio.run(scenario())


def test_without_quiet_and_after_close_the_guard_never_commits():
    in_step: list = []

    async def scenario(quiet: float, close: bool):
        app, commits = counting_app(in_step)
        guard = CommitGuard(app, quiet=quiet)
        await steps(guard, in_step, count=3, gap=0)
        if close:
            await guard.close()
        await asyncio.sleep(0.3)
        return commits

    assert asyncio.run(scenario(0.0, close=False)) == []
    assert asyncio.run(scenario(0.05, close=True)) == []


def test_the_early_commit_waits_for_a_step_that_began_before_it():
    in_step: list = []

    async def scenario():
        app, commits = counting_app(in_step)
        guard = CommitGuard(app, quiet=0.05)
        await steps(guard, in_step, count=1, gap=0)
        await asyncio.sleep(0.06)  # the early commit is due about now
        async with guard.step():  # a long step (sends waiting on the broker) holds the lock
            in_step.append(1)
            await asyncio.sleep(0.3)
            in_step.pop()
        await asyncio.sleep(0.3)
        assert commits and not any(commits)  # it ran, and never inside the step

    asyncio.run(scenario())
