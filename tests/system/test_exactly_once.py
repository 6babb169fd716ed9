"""Guarantees 1-3: every accepted article comes out exactly once (enriched or dead-lettered, read
committed) although the worker is SIGKILLed mid-replay or the broker restarts under it."""

import asyncio
import random
import time

import pytest

from streams.client.accounting import Outcome
from tests.support.faults import Pipeline, articles

pytestmark = [pytest.mark.broker, pytest.mark.slow]

N_ARTICLES = 500
N_RESTART = 300
BROKER_DOWN = 5.0  # seconds the broker stays down
DRAIN_TIMEOUT = 600.0  # generous: a safety net for a stuck pipeline, not a speed requirement


@pytest.fixture
def pipeline(bootstrap, tmp_path):
    pipe = Pipeline(bootstrap, tmp_path, name="crash")
    pipe.create_topics()
    yield pipe
    pipe.close()


def test_worker_sigkilled_three_times_loses_and_duplicates_nothing(pipeline):
    payloads = articles(N_ARTICLES, pipeline.run)
    ids = {i for i, _ in payloads}
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    # Kill when this many outcomes are readable: early, middle and late in the replay.
    kill_at = sorted(rng.sample(range(N_ARTICLES // 10, N_ARTICLES * 9 // 10), 3))
    pipeline.start_worker()
    out = asyncio.run(pipeline.replay(payloads, [(point, pipeline.restart_newest) for point in kill_at],
                                      timeout=DRAIN_TIMEOUT))
    context = f"seed {seed}, killed at {kill_at} outcomes; log {pipeline.log}"
    assert out.problems(ids) == {}, context
    assert len(out.enriched) + len(out.deadletters) == N_ARTICLES, context
    assert len(pipeline.workers) == 4 and pipeline.workers[-1].alive(), context


def test_broker_restart_mid_replay_loses_and_duplicates_nothing(tmp_path):
    """A broker of its own (the session's may be shared): stopped and started again on the same data
    and port while the worker is busy; the worker must carry on by itself."""
    from streams.localkafka import node as broker

    home = tmp_path / "restart-home"
    bootstrap = broker.start(home=home)
    pipe = Pipeline(bootstrap, tmp_path, name="restart")
    try:
        pipe.create_topics()
        worker = pipe.start_worker()
        payloads = articles(N_RESTART, pipe.run)
        ids = {i for i, _ in payloads}

        async def until_a_third_is_out() -> None:
            async with pipe.reader() as reader:
                assert await pipe.produce(payloads) == N_RESTART
                await pipe.collect(reader, ids, timeout=DRAIN_TIMEOUT,
                                   until=lambda o: o.seen() >= N_RESTART // 3)

        async def everything() -> Outcome:
            async with pipe.reader() as reader:  # a fresh read of both topics from the start
                return await pipe.collect(reader, ids, timeout=DRAIN_TIMEOUT, settle=10.0)

        asyncio.run(until_a_third_is_out())
        broker.stop(home=home)
        time.sleep(BROKER_DOWN)
        assert broker.start(home=home) == bootstrap  # same port: the worker's bootstrap list stays valid
        out = asyncio.run(everything())
        assert out.problems(ids) == {}, f"log {pipe.log}"
        assert worker.alive() and len(pipe.workers) == 1, pipe.log_text()[-3000:]
    finally:
        pipe.close()
        broker.stop(home=home)
