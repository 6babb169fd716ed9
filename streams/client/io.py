"""Plain aiokafka clients for the CLI: produce raw articles, read topics read_committed."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from schemas.article import MAX_PAYLOAD_BYTES
from schemas.errors import InvalidArticle
from schemas.formats import parse_many
from streams.client.address import parse_broker_url
from streams.client.errors import BrokerUnreachable, PayloadTooLarge, TopicMissing
from streams.client.security import client_kwargs, connection_problem
from streams.settings import Settings, get_settings, topic_name

TOPICS = ("raw", "parsed", "partial", "enriched", "deadletter", "ninjs")


async def _unreachable(bootstrap: str, exc: Exception) -> BrokerUnreachable:
    problem = await connection_problem(bootstrap)  # e.g. a wrong password: say so, not "no broker"
    if problem:
        return BrokerUnreachable(problem)
    return BrokerUnreachable(
        f"no Kafka broker reachable at {bootstrap} ({type(exc).__name__}): start one with "
        "`wirestream broker start` or pass --broker kafka://host:port"
    )


async def ensure_topics(bootstrap: str, settings: Settings | None = None) -> None:
    """Create the pipeline topics with the configured partition count if they do not exist yet."""
    settings = settings or get_settings()
    admin = AIOKafkaAdminClient(bootstrap_servers=parse_broker_url(bootstrap), request_timeout_ms=10000,
                                **client_kwargs())
    try:
        await admin.start()
    except (KafkaConnectionError, KafkaError, OSError) as exc:
        raise await _unreachable(bootstrap, exc) from exc
    try:
        existing = set(await admin.list_topics())
        wanted = [topic_name(t, settings.topic_prefix) for t in TOPICS]
        missing = [
            NewTopic(name=t, num_partitions=settings.partitions, replication_factor=replication())
            for t in wanted
            if t not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except KafkaError as exc:  # a worker may have created them at the same moment
                if "TopicExists" not in type(exc).__name__ and "exists" not in str(exc).lower():
                    raise
    finally:
        await admin.close()


def replication() -> int:

    return get_settings().replication


async def open_producer(bootstrap: str) -> AIOKafkaProducer:
    """A started producer with idempotent, acks=all delivery (stop it when done)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=parse_broker_url(bootstrap),
        acks="all",
        enable_idempotence=True,
        max_request_size=2 * 1024 * 1024,
        linger_ms=5,
        **client_kwargs(),
    )
    try:
        await producer.start()
    except (KafkaConnectionError, KafkaError, OSError) as exc:
        await producer.stop()
        raise await _unreachable(bootstrap, exc) from exc
    return producer


async def produce(bootstrap: str, topic: str, payloads: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Send (key, value) pairs with idempotent, acks=all delivery; return how many were acknowledged.

    Refuses, before sending anything, a batch holding a value over :data:`MAX_PAYLOAD_BYTES` (1 MiB):
    Kafka's default message limit, which the broker would enforce anyway, one record at a time.
    """
    payloads = list(payloads)
    for n, (_, value) in enumerate(payloads, 1):
        if value is not None and len(value) > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge(
                f"message {n} of {len(payloads)} is {len(value)} bytes, over the {MAX_PAYLOAD_BYTES} bytes "
                "(1 MiB) a Kafka message may hold; nothing was sent: shorten or split that article"
            )
    producer = await open_producer(bootstrap)
    try:
        futures = [await producer.send(topic, value=value, key=key) for key, value in payloads]
        await producer.flush()
        for fut in futures:
            await fut  # raises if the broker refused a record
        return len(futures)
    finally:
        await producer.stop()


def raw_key(payload: bytes) -> bytes | None:
    """Key raw messages by article id where it can be read, so each id keeps to one partition.
    Unreadable input goes unkeyed; the worker dead-letters it with the reason."""
    try:
        found = parse_many(payload)
    except InvalidArticle:
        return None
    # A feed or JSON lines hold several ids: unkeyed, its articles stay together on one partition.
    return found[0].id.encode() if len(found) == 1 and not isinstance(found[0], InvalidArticle) else None


class Reader:
    """A read_committed reader over every partition of some topics, without a consumer group.

    Positions are fixed at ``open()``: with ``start="latest"`` only records written after that
    moment are read, which is how ``demo`` and the tests wait for the outcome of what they produce.
    """

    def __init__(self, bootstrap: str, topics: list[str], start: str = "earliest"):
        self.bootstrap = bootstrap
        self.topics = topics
        self.start = start
        self.consumer: AIOKafkaConsumer | None = None

    async def open(self) -> "Reader":
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=parse_broker_url(self.bootstrap),
            isolation_level="read_committed",
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset=self.start,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **client_kwargs(),
        )
        try:
            await self.consumer.start()
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            await self.consumer.stop()
            raise await _unreachable(self.bootstrap, exc) from exc
        tps = []
        for topic in self.topics:
            tps += [TopicPartition(topic, p) for p in sorted(await self._partitions(topic))]
        self.consumer.assign(tps)
        if self.start == "latest":
            await self.consumer.seek_to_end(*tps)
            for tp in tps:  # resolve now, so later records are not skipped
                await self.consumer.position(tp)
        else:
            await self.consumer.seek_to_beginning(*tps)
        return self

    async def _partitions(self, topic: str, wait: float = 15.0) -> set[int]:
        """Partitions of a topic; a topic created a moment ago may take a few metadata rounds to show."""
        deadline = time.monotonic() + wait
        while True:
            parts = self.consumer.partitions_for_topic(topic)
            if parts or time.monotonic() > deadline:
                if not parts:
                    raise TopicMissing(f"topic {topic} does not exist on {self.bootstrap}: "
                                       "produce to it or start a worker first")
                return parts
            await self.consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
            await asyncio.sleep(0.2)

    async def records(self, max_records: int | None = None, timeout: float | None = None) -> AsyncIterator:
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = 0
        while max_records is None or seen < max_records:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            batch = await self.consumer.getmany(timeout_ms=int(min(left or 1.0, 1.0) * 1000))
            for tp_records in batch.values():
                for rec in tp_records:
                    yield rec
                    seen += 1
                    if max_records is not None and seen >= max_records:
                        return

    async def close(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()

    async def __aenter__(self) -> "Reader":
        return await self.open()

    async def __aexit__(self, *exc) -> None:
        await self.close()

