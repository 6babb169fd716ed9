"""Helpers of the fault tests: an isolated pipeline (own topics, own consumer group, own workers) on a
real broker, fed with BBC articles, and the accounting of what came out."""

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from streams.client.accounting import Outcome, collect
from streams.client.io import Reader, ensure_topics, open_producer, produce
from streams.replay.corpus import BBC_TARBALL, bbc_payloads, shared_dir
from streams.replay.workers import WorkerProcess
from streams.settings import Settings, topic_name

BBC = shared_dir() / BBC_TARBALL
READY_TIMEOUT = 180.0


def wait_ready(workers: list[WorkerProcess], timeout: float = READY_TIMEOUT, *,
               line: str = "Worker ready") -> None:
    """Until every worker's log says Faust is ready (it has joined the group and recovered its tables),
    or has logged another ``line``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in workers:
            assert w.alive(), f"worker exited during start-up:\n{w.log_tail(40)}"
        if all(line in w.log_tail(400) for w in workers):
            return
        time.sleep(0.5)
    raise AssertionError(f"no {line!r} from the workers:\n" + "\n".join(w.log_tail(20) for w in workers))


class Pipeline:
    """Topics and a consumer group of their own, so killing workers here never touches other tests."""

    def __init__(self, bootstrap: str, log_dir: Path, *, name: str = "faults", env: dict | None = None):
        run = f"{name}-{uuid.uuid4().hex[:6]}"
        self.bootstrap = bootstrap
        self.run = run
        self.prefix = f"{run}."
        self.settings = dataclasses.replace(Settings.from_env(), topic_prefix=self.prefix, app_id=run)
        self.log = log_dir / f"{run}-worker.log"
        # A killed worker's partitions wait for its session to expire before a replacement gets them.
        self.env = {"WIRESTREAM_TOPIC_PREFIX": self.prefix, "WIRESTREAM_APP_ID": run,
                    "WIRESTREAM_SESSION_TIMEOUT": "10", **(env or {})}
        self.workers: list[WorkerProcess] = []

    def topic(self, short: str) -> str:
        return topic_name(short, self.prefix)

    def create_topics(self) -> None:
        asyncio.run(ensure_topics(self.bootstrap, self.settings))

    def start_worker(self, log: Path | None = None, env: dict | None = None) -> WorkerProcess:
        """A new worker in the group, logging to the pipeline's log or to a ``log`` of its own."""
        worker = WorkerProcess(self.bootstrap, log_path=log or self.log, env={**self.env, **(env or {})})
        worker.start()
        self.workers.append(worker)
        return worker

    def restart(self, worker: WorkerProcess) -> WorkerProcess:
        """SIGKILL (no chance to commit or abort anything), then a fresh worker in the same group."""
        worker.kill()
        worker.stop()
        return self.start_worker()

    def reader(self) -> Reader:
        return Reader(self.bootstrap, [self.topic("enriched"), self.topic("deadletter")], start="earliest")

    async def produce(self, payloads: list[tuple[str, bytes]]) -> int:
        return await produce(self.bootstrap, self.topic("raw"), [(i.encode(), p) for i, p in payloads])

    async def collect(self, reader: Reader, ids: set, **kwargs) -> Outcome:
        return await collect(reader, ids, prefix=self.prefix, **kwargs)

    async def replay(self, payloads: list[tuple[str, bytes]], faults=(), *, timeout: float) -> Outcome:
        """Produce ``payloads``; once ``point`` outcomes are readable call ``fault()``, for each
        ``(point, fault)`` in order; then collect until every id is out (read committed) and a little
        longer, so that duplicates show."""
        ids = {i for i, _ in payloads}
        async with self.reader() as reader:
            assert await self.produce(payloads) == len(payloads)
            out = Outcome()
            for point, fault in faults:
                out = await self.collect(reader, ids, timeout=timeout, outcome=out,
                                         until=lambda o, point=point: o.seen() >= point)
                fault()
            return await self.collect(reader, ids, timeout=timeout, outcome=out, settle=10.0)

    async def replay_flowing(self, payloads: Iterable[tuple[str, bytes]],
                             faults: list[tuple[int, Callable[[], object]]], *, rate: float, tail: int,
                             timeout: float) -> tuple[Outcome, set, list[int]]:
        """Send ``payloads`` one by one, ``rate`` a second, while the faults happen: each ``(gap, fault)``
        runs ``fault()`` (in a thread, while sending goes on) once ``gap`` more articles were sent after
        the previous fault returned. ``tail`` articles are sent after the last one, then sending stops,
        so every fault hits a pipeline with articles in flight. Returns the outcome (collected until
        every id sent is out, and 10 s longer for duplicates), the ids sent, and how many had been sent
        when each fault started."""
        ids: set = set()
        started: list[int] = []
        payloads = iter(payloads)
        raw = self.topic("raw")

        async def inject() -> None:
            for gap, fault in faults:
                mark = len(ids)
                while len(ids) < mark + gap:
                    await asyncio.sleep(0.1)
                started.append(len(ids))
                await asyncio.to_thread(fault)

        async with self.reader() as reader:
            producer = await open_producer(self.bootstrap)
            injector = asyncio.ensure_future(inject())

            async def send() -> None:
                end = None
                while end is None or len(ids) < end:
                    if end is None and injector.done():
                        injector.result()  # a fault that failed stops the replay
                        end = len(ids) + tail
                    article_id, payload = next(payloads, (None, None))
                    assert article_id is not None, f"all {len(ids)} payloads sent before the faults were done"
                    await producer.send_and_wait(raw, payload, key=article_id.encode())
                    ids.add(article_id)
                    await asyncio.sleep(1 / rate)

            sender = asyncio.ensure_future(send())
            try:
                # settle=timeout: keep reading while sending goes on, even when all sent so far are out
                out = await self.collect(reader, ids, timeout=timeout, settle=timeout,
                                         until=lambda _: sender.done())
                assert sender.done(), f"still sending after {timeout} s ({len(ids)} sent)"
                sender.result()
                out = await self.collect(reader, ids, timeout=timeout, outcome=out, settle=10.0)
            finally:
                for task in (sender, injector):
                    task.cancel()
                await producer.stop()
        return out, ids, started

    def restart_newest(self) -> None:
        """SIGKILL the newest worker and start a fresh one in its place."""
        self.restart(self.workers[-1])

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()


def articles(n: int, run: str, offset: int = 0) -> list[tuple[str, bytes]]:
    return bbc_payloads(BBC, n, run, offset=offset)


async def raw_lag(bootstrap: str, group: str, topic: str) -> int:
    """Records of ``topic`` the consumer group has not committed yet (raw is not transactional, so
    a fully drained group commits exactly the end offsets)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(tps)
        return sum(ends[tp] - max(committed[tp].offset, 0) if tp in committed else ends[tp] for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()
