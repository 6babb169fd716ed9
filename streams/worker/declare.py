"""Create every topic of the worker's topology before its consumer subscribes.

A Faust worker subscribes once, at start-up, to the topics its agents read and its tables' changelogs.
aiokafka drops any topic missing from the cluster metadata at that moment ("Ignoring missing topic")
and only notices it on its next metadata refresh, five minutes later: a worker started on a fresh
broker sat idle that long, and a rebalance in the middle of it left transactions half begun. Faust
itself only declares *internal* topics (changelogs), and only after the consumer has started.

So the app declares its whole topology first (:func:`declare_topology`, called from
``App.on_first_start``): every topic an agent reads, every changelog, with the configured partitions
and replication, idempotently, and then waits until the broker's metadata lists each one with a
leader for every partition. Several workers starting at once all do this; whichever comes first
creates a topic, the others find it. A topic that exists with another partition count is an error the
operator must fix (Faust would otherwise refuse to assign co-partitioned topics), reported in one line.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code
from aiokafka.protocol.metadata import MetadataRequest
from mode.utils.times import want_seconds

from streams.worker.errors import TopologyError


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    config: dict = field(default_factory=dict, compare=False, hash=False)


def topology(app) -> list[TopicSpec]:
    """Every topic the app's agents read and every table changelog, with its partitions and config."""
    conf = app.conf
    specs: dict[str, TopicSpec] = {}

    def add(topic, config: dict) -> None:
        for name in topic.topics:
            specs.setdefault(name, TopicSpec(name, topic.partitions or conf.topic_partitions,
                                             topic.replicas or conf.topic_replication_factor, config))

    for agent in app.agents.values():
        add(agent.channel, dict(agent.channel.config or {}))
    for table in app.tables.values():
        log = table.changelog_topic
        # Faust's own changelog config (cleanup policy, retention), as its declaration would write it.
        retention = int(want_seconds(log.retention) * 1000) if log.retention else None
        config = app.transport._topic_config(retention, log.compacting, log.deleting)  # noqa: SLF001
        add(log, {key: str(value) for key, value in {**config, **(log.config or {})}.items()})
    return sorted(specs.values(), key=lambda s: s.name)


TOPIC_ALREADY_EXISTS = 36


async def _metadata(admin: AIOKafkaAdminClient, names: list[str]) -> list[dict]:
    """Topic metadata without creating anything: aiokafka's describe_topics lets the broker auto-create
    a missing topic (with the broker's defaults, so a changelog would not be compacted)."""
    response = await admin._send_request(MetadataRequest(names, allow_auto_topic_creation=False))  # noqa: SLF001
    return response.to_object()["topics"]


async def declare(admin: AIOKafkaAdminClient, specs: list[TopicSpec], *, timeout: float = 60.0) -> list[str]:
    """Create the missing topics and wait until all are usable; return the names this call created."""
    existing = {t["topic"] for t in await _metadata(admin, [s.name for s in specs]) if not t["error_code"]}
    missing = [s for s in specs if s.name not in existing]
    created = []
    if missing:
        new = [NewTopic(s.name, s.partitions, s.replication, topic_configs=s.config) for s in missing]
        response = await admin.create_topics(new, timeout_ms=int(timeout * 1000))
        for error in response.to_object()["topic_errors"]:
            topic, code, message = error["topic"], error["error_code"], error.get("error_message")
            if code == 0:
                created.append(topic)
            elif code != TOPIC_ALREADY_EXISTS:  # another worker creating it at this moment is fine
                raise TopologyError(f"cannot create topic {topic}: {for_code(code).__name__}"
                                    + (f": {message}" if message else ""))
    await wait_usable(admin, specs, timeout=timeout)
    return sorted(created)


async def wait_usable(admin: AIOKafkaAdminClient, specs: list[TopicSpec], *, timeout: float) -> None:
    """Until the metadata lists every topic with its partitions, each with a leader."""
    want = {s.name: s.partitions for s in specs}
    deadline = time.monotonic() + timeout
    while True:
        pending = {}
        for desc in await _metadata(admin, list(want)):
            name, parts = desc["topic"], desc.get("partitions") or []
            if desc["error_code"]:
                pending[name] = "not in the metadata yet"
            elif len(parts) != want[name]:
                if parts and all(p["leader"] >= 0 for p in parts):
                    raise TopologyError(
                        f"topic {name} has {len(parts)} partitions but the worker needs {want[name]} "
                        "(WIRESTREAM_PARTITIONS): co-partitioned topics must match; alter it with Kafka's "
                        "kafka-topics --alter --partitions, or use another WIRESTREAM_TOPIC_PREFIX"
                    )
                pending[name] = f"{len(parts)} of {want[name]} partitions"
            elif any(p["leader"] < 0 for p in parts):
                pending[name] = "a partition has no leader yet"
        if not pending:
            return
        if time.monotonic() > deadline:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(pending.items())[:3])
            raise TopologyError(f"topics not usable after {timeout:.0f}s ({detail})")
        await asyncio.sleep(0.2)


async def declare_topology(app, bootstrap: str, client_kwargs: dict, *, timeout: float = 60.0) -> list[str]:
    """:func:`declare` the app's whole :func:`topology` on the broker at ``bootstrap``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                                **client_kwargs)
    await admin.start()
    try:
        return await declare(admin, topology(app), timeout=timeout)
    finally:
        await admin.close()
