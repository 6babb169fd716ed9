"""Guarantee 6: fed at 1.5x the worker's measured capacity for a while, the worker's memory stays
bounded (the backlog waits in Kafka, not in the worker), nothing is dropped, and the lag drains."""

import asyncio
import math
import threading
import time

import pytest

from streams.client.io import open_producer
from streams.replay.run import tree_rss
from tests.support.faults import Pipeline, articles, raw_lag

pytestmark = [pytest.mark.broker, pytest.mark.slow]

WARM_UP = 24
MEASURE = 96
OVERLOAD = 1.5  # x measured capacity
OVERLOAD_SECONDS = 90.0
RSS_GROWTH_MB = 300  # peak under overload may exceed the post-warm-up RSS by at most this
DRAIN_TIMEOUT = 600.0


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            self.samples.append(tree_rss(self.pid) / 2**20)


def test_overload_keeps_memory_bounded_drops_nothing_and_drains(bootstrap, tmp_path):
    pipe = Pipeline(bootstrap, tmp_path, name="overload")
    pipe.create_topics()
    worker = pipe.start_worker()
    corpus = articles(2000, pipe.run)
    warm, measure, rest = corpus[:WARM_UP], corpus[WARM_UP:WARM_UP + MEASURE], corpus[WARM_UP + MEASURE:]
    report = {}
    try:
        async def run():
            async with pipe.reader() as reader:
                await pipe.produce(warm)  # model loaded, group joined, first batches done
                await pipe.collect(reader, {i for i, _ in warm}, timeout=DRAIN_TIMEOUT)
                baseline = tree_rss(worker.proc.pid) / 2**20
                await pipe.produce(measure)
                out = await pipe.collect(reader, {i for i, _ in measure}, timeout=DRAIN_TIMEOUT)
                # Steady throughput: the second half of the outcomes, once the pipeline is full.
                seen = sorted(out.first_seen.values())
                capacity = (len(seen) - len(seen) // 2) / (seen[-1] - seen[len(seen) // 2 - 1])
                rate = OVERLOAD * capacity
                load = rest[: int(rate * OVERLOAD_SECONDS)]
                sampler = Sampler(worker.proc.pid)
                sampler.start()
                ids = {i for i, _ in measure + load}

                async def send_load() -> float:
                    producer = await open_producer(bootstrap)
                    try:
                        t0, sent = time.monotonic(), []
                        for n, (article_id, payload) in enumerate(load):  # paced, at `rate` per second
                            await asyncio.sleep(max(0.0, t0 + n / rate - time.monotonic()))
                            sent.append(await producer.send(pipe.topic("raw"), payload,
                                                            key=article_id.encode()))
                        await producer.flush()
                        for fut in sent:
                            await fut  # acknowledged by the broker: accepted
                        return time.monotonic()
                    finally:
                        await producer.stop()

                sender = asyncio.create_task(send_load())
                out = await pipe.collect(reader, ids, timeout=DRAIN_TIMEOUT, settle=5.0, outcome=out)
                done_sending = await sender
                sampler.stop.set()
                sampler.join()
                load_ids = {i for i, _ in load}
                report.update(baseline_mb=baseline, capacity=capacity, rate=rate, sent=len(load),
                              backlog_at_end=sum(out.first_seen.get(i, math.inf) > done_sending
                                                 for i in load_ids),
                              drained_in=max(out.first_seen[i] for i in load_ids if i in out.first_seen)
                              - done_sending,
                              peak_mb=max(sampler.samples), samples=len(sampler.samples))
                return out, ids

        out, ids = asyncio.run(run())
        lag_after = asyncio.run(raw_lag(bootstrap, pipe.run, pipe.topic("raw")))
        print("overload:", {k: round(v, 2) if isinstance(v, float) else v for k, v in report.items()})
        assert report["backlog_at_end"] > 0, report  # it really was overloaded: a backlog built up
        assert out.problems(ids) == {}, report
        assert lag_after == 0, report
        assert report["peak_mb"] <= report["baseline_mb"] + RSS_GROWTH_MB, report
        assert worker.alive()
    finally:
        pipe.close()
