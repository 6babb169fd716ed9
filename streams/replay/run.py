"""``wirestream replay``: a load test that is also a loss check.

Articles go to ``articles.raw`` at a fixed rate or as fast as the producer accepts; a read_committed
reader opened before the first send sees each enriched or dead-letter record as a downstream consumer
would, so the end-to-end latency of an article is the time from its send to its outcome being readable.
By default the replay starts the local broker if none runs, starts one worker, waits until the worker
has joined the group and processed one warm-up article per partition (so start-up is not measured),
samples the worker's RSS, and stops what it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil
from aiokafka.errors import KafkaError

from streams.client.accounting import Outcome, collect
from streams.client.io import Reader, open_producer
from streams.replay.errors import ReplayError
from streams.replay.source import Item
from streams.replay.stats import Run
from streams.replay.workers import WorkerExited, WorkerProcess, while_alive
from streams.settings import get_settings, home, topic_name

WORKER_READY_TIMEOUT = 300.0


class _Ids(dict):
    """Remembers the ids of enriched records, not the records: a load test reads too many to keep."""

    def setdefault(self, key, default=None):
        return super().setdefault(key, None)


@dataclass
class Options:
    rate: float | None = None  # articles/s; None: as fast as the producer accepts
    timeout: float = 120.0  # how long to wait, after the last send, for the rest to come out
    progress: Callable[[int, int], None] | None = None  # (outcomes so far, produced so far)


class RssSampler:
    """Peak resident memory of each worker process (with any children), sampled in a thread."""

    def __init__(self, pids: list[int], every: float = 0.25):
        self.pids, self.every = pids, every
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], tree_rss(pid))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self) -> float | None:
        return max(self.peak.values()) / 2**20 if self.peak else None


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and their children."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            for p in (proc, *proc.children(recursive=True)):
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
    return total


def tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


async def wait_for_group(bootstrap: str, group: str, members: int, timeout: float) -> None:
    """Until the consumer group is Stable with at least ``members`` members (each worker joined)."""
    from aiokafka.admin import AIOKafkaAdminClient

    from streams.client.address import parse_broker_url
    from streams.client.security import client_kwargs

    admin = AIOKafkaAdminClient(bootstrap_servers=parse_broker_url(bootstrap), **client_kwargs())
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                for resp in await admin.describe_consumer_groups([group]):
                    for g in resp.groups:
                        if g[1] == group and g[2] == "Stable" and len(g[5]) >= members:
                            return
            except KafkaError:  # e.g. no coordinator yet, before the first group ever formed
                pass
            await asyncio.sleep(0.5)
        raise ReplayError(f"{members} worker(s) did not join consumer group {group} within {timeout:.0f}s")
    finally:
        await admin.close()


async def warm_up(bootstrap: str, timeout: float) -> None:
    """One short article per partition through the whole pipeline, so every partition's transactional
    producer and the model's first-call costs are paid before the clock starts."""
    raw = topic_name("raw")
    run = uuid.uuid4().hex[:8]
    async with Reader(bootstrap, [topic_name("enriched"), topic_name("deadletter")], start="latest") as rd:
        producer = await open_producer(bootstrap)
        try:
            parts = sorted(await producer.partitions_for(raw))
            ids = {f"warmup-{run}-{p}" for p in parts}
            for p, i in zip(parts, sorted(ids, key=lambda s: int(s.rsplit("-", 1)[1])), strict=True):
                body = "Angela Merkel met Emmanuel Macron in Paris on Tuesday, officials said."
                value = orjson.dumps({"id": i, "headline": "warm-up", "body_text": body})
                await producer.send_and_wait(raw, value, key=i.encode(), partition=p)
        finally:
            await producer.stop()
        out = await collect(rd, ids, timeout=timeout)
    if out.missing(ids):
        raise ReplayError(f"the worker(s) did not process the warm-up articles within {timeout:.0f}s")


async def measure(bootstrap: str, items: list[Item], opts: Options) -> tuple[Run, Outcome]:
    """Send ``items`` and read their outcomes concurrently; the timing of both sides."""
    ids = {it.id for it in items if it.id is not None}
    anonymous = sum(it.id is None for it in items)
    run = Run(articles=len(items), words=sum(it.words for it in items),
              words_of={it.id: it.words for it in items if it.id is not None})
    outcome = Outcome(enriched=_Ids())
    deadline = math.inf  # set once everything was sent
    sent = 0

    async def send_all(producer) -> None:
        nonlocal deadline, sent
        raw = topic_name("raw")
        futures = []
        run.started = start = time.monotonic()
        for n, item in enumerate(items):
            if opts.rate:
                await asyncio.sleep(max(0.0, start + n / opts.rate - time.monotonic()))
            key = item.id.encode() if item.id is not None else None  # = kafka_io.raw_key(payload)
            if item.id is not None:
                run.produced_at[item.id] = time.monotonic()
            futures.append(await producer.send(raw, item.payload, key=key))
            sent = n + 1
        await producer.flush()
        for fut in futures:
            await fut  # raises if the broker refused a record
        deadline = time.monotonic() + opts.timeout

    async def tick() -> None:
        while True:
            if opts.progress:
                opts.progress(len(outcome.first_seen) + len(outcome.anonymous_deadletters), sent)
            await asyncio.sleep(0.2)

    async with Reader(bootstrap, [topic_name("enriched"), topic_name("deadletter")], start="latest") as rd:
        producer = await open_producer(bootstrap)
        ticker = asyncio.create_task(tick())
        try:
            sender = asyncio.create_task(send_all(producer))
            await collect(rd, ids, timeout=math.inf, anonymous=anonymous, settle=1.0, outcome=outcome,
                          until=lambda _: time.monotonic() > deadline or sender.done() and sender.exception())
            await sender  # re-raises a failed send
        finally:
            ticker.cancel()
            await producer.stop()
    if opts.progress:
        opts.progress(len(outcome.first_seen) + len(outcome.anonymous_deadletters), sent)
    run.out_at = {i: outcome.first_seen[i] for i in ids if i in outcome.first_seen}
    run.finished = max(run.out_at.values(), default=time.monotonic())
    run.deadletters = len(outcome.deadletters.keys() & ids) + len(outcome.anonymous_deadletters)
    run.missing = len(outcome.missing(ids)) + max(0, anonymous - len(outcome.anonymous_deadletters))
    run.duplicates = len(outcome.duplicates())
    return run, outcome


def start_workers(bootstrap: str, n: int, stack: contextlib.ExitStack, env: dict | None = None,
                  first: int = 0) -> list[WorkerProcess]:
    logs = home() / "logs"
    return [stack.enter_context(WorkerProcess(bootstrap, log_path=logs / f"replay-worker-{i}.log", env=env))
            for i in range(first, first + n)]


def run_replay(bootstrap: str, items: list[Item], opts: Options, *, workers: int = 1,
               worker_env: dict | None = None, on_ready: Callable[[], None] | None = None,
               ) -> tuple[Run, Outcome]:
    """Start ``workers`` worker processes (0: use the ones already in the group), warm them up, replay."""
    with contextlib.ExitStack() as stack:
        group = (worker_env or {}).get("WIRESTREAM_APP_ID") or get_settings().app_id
        procs: list[WorkerProcess] = []
        try:
            # One at a time, each in the group before the next starts: workers starting together race
            # to create the table changelog topics, and one may cache them with 0 partitions.
            for i in range(workers):
                procs.extend(start_workers(bootstrap, 1, stack, worker_env, first=i))
                asyncio.run(while_alive(wait_for_group(bootstrap, group, i + 1, WORKER_READY_TIMEOUT), procs))
            if procs:
                asyncio.run(while_alive(warm_up(bootstrap, WORKER_READY_TIMEOUT), procs))
        except WorkerExited:
            raise  # already names the worker's error and log
        except ReplayError as exc:
            raise ReplayError(f"{exc}\n{procs[-1].log_tail()}") from None
        sampler = stack.enter_context(RssSampler([p.proc.pid for p in procs]))
        if on_ready:
            on_ready()
        pids = [p.proc.pid for p in procs]
        cpu = tree_cpu(pids)
        run, outcome = asyncio.run(while_alive(measure(bootstrap, items, opts), procs))
        run.worker_cpu_s = tree_cpu(pids) - cpu if procs else None
        run.worker_peak_rss_mb = sampler.peak_mb()
        return run, outcome


def default_paths() -> list[str]:
    return [str(Path(__file__).resolve().parents[2] / "seeds")]
