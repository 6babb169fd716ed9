"""`wirestream broker start --nodes 3`: a real 3-node KRaft cluster on loopback, and losing one node of it.

One cluster for the module, in its own WIRESTREAM_HOME on free ports; the jar cache is the session's.
"""

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from click.testing import CliRunner

from streams import localkafka
from streams.cli.broker import broker as broker_group
from streams.client.io import Reader, ensure_topics, produce
from streams.client.security import ENV_VARS
from streams.localkafka import cluster as broker_cluster
from streams.localkafka import jvm

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(home, bootstrap) of a running 3-node cluster."""
    home = tmp_path_factory.mktemp("cluster") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("WIRESTREAM_KAFKA_CACHE", str(jvm.jar_cache_dir()))
    for name in ENV_VARS:
        mp.delenv(name, raising=False)
    try:
        with broker_cluster.local_cluster(home, nodes=3) as bootstrap:
            yield home, bootstrap
    finally:
        mp.undo()
    assert broker_cluster.status(home=home) is None


def cli(home, *args):
    result = CliRunner().invoke(broker_group, list(args), env={"WIRESTREAM_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.stdout


async def describe(bootstrap: str, topic: str) -> dict:
    """partition -> (leader, replicas, isr) as the cluster reports it now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [info] = await admin.describe_topics([topic])
        return {p["partition"]: (p["leader"], sorted(p["replicas"]), sorted(p["isr"]))
                for p in info["partitions"]}
    finally:
        await admin.close()


async def topic_config(bootstrap: str, topic: str, key: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [(_, _, _, _, entries)] = response.resources
        return {entry[0]: entry[1] for entry in entries}[key]
    finally:
        await admin.close()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(0.5)


async def transactional_write(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                transactional_id=f"cluster-{uuid.uuid4().hex[:6]}")
    await producer.start()
    try:
        async with producer.transaction():
            for value in values:
                await producer.send(topic, value=value, key=value)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, count: int) -> list[bytes]:
    """Everything committed in ``topic``: ``count`` records, plus whatever (duplicates) follows within 1 s."""
    async with Reader(bootstrap, [topic]) as reader:
        got = [rec.value async for rec in reader.records(max_records=count, timeout=60)]
        return got + [rec.value async for rec in reader.records(timeout=1)]


def test_status_lists_every_node(cluster):
    home, bootstrap = cluster
    out = cli(home, "status")
    assert f"cluster 3/3 nodes running bootstrap={bootstrap}" in out
    for i, address in enumerate(bootstrap.split(","), 1):
        assert f"node {i}: running pid=" in out and f"bootstrap={address}" in out
    state = broker_cluster.status(home=home)
    assert len({n["pid"] for n in state["nodes"]}) == 3
    assert len({n["controller"] for n in state["nodes"]}) == 3
    assert broker_cluster.start(3, home=home) == bootstrap  # idempotent
    assert localkafka.local_bootstrap(home=home) == bootstrap  # found by clients when no single broker runs


def test_new_topics_get_replication_3_and_min_isr_2(cluster, monkeypatch):
    _, bootstrap = cluster
    auto = f"cluster-auto-{uuid.uuid4().hex[:6]}"
    asyncio.run(produce(bootstrap, auto, [(None, b"x")]))  # auto-created with the broker defaults
    for partition in asyncio.run(describe(bootstrap, auto)).values():
        assert partition[1] == [1, 2, 3] and partition[2] == [1, 2, 3]
    assert asyncio.run(topic_config(bootstrap, auto, "min.insync.replicas")) == "2"
    monkeypatch.setenv("WIRESTREAM_REPLICATION", "3")
    monkeypatch.setenv("WIRESTREAM_TOPIC_PREFIX", f"cluster-{uuid.uuid4().hex[:6]}.")
    asyncio.run(ensure_topics(bootstrap))  # the pipeline's own topics, as a worker would create them
    from streams.settings import topic_name

    assert all(p[1] == [1, 2, 3] for p in asyncio.run(describe(bootstrap, topic_name("raw"))).values())


def test_rf3_topic_survives_killing_a_node(cluster):
    home, bootstrap = cluster
    topic = f"cluster-survive-{uuid.uuid4().hex[:6]}"
    before = [f"before-{i}".encode() for i in range(50)]
    after = [f"after-{i}".encode() for i in range(50)]
    in_txn = [f"txn-{i}".encode() for i in range(20)]
    asyncio.run(produce(bootstrap, topic, [(v, v) for v in before]))

    assert cli(home, "kill-node", "2").startswith("killed node 2 (pid ")
    assert "node 2: stopped" in cli(home, "status")
    # acks=all (idempotent) and a transaction, while one of three replicas is down: min ISR 2 still holds
    asyncio.run(produce(bootstrap, topic, [(v, v) for v in after]))
    asyncio.run(transactional_write(bootstrap, topic, in_txn))
    assert all(p[1] == [1, 2, 3] for p in asyncio.run(describe(bootstrap, "__transaction_state")).values())
    assert asyncio.run(topic_config(bootstrap, "__transaction_state", "min.insync.replicas")) == "2"
    got = asyncio.run(read_all(bootstrap, topic, len(before + after + in_txn)))
    assert sorted(got) == sorted(before + after + in_txn)  # every record once, nothing lost
    assert all(2 not in p[2] for p in asyncio.run(describe(bootstrap, topic)).values())

    assert cli(home, "start-node", "2").strip() == bootstrap.split(",")[1]
    assert "cluster 3/3 nodes running" in cli(home, "status")
    wait_for(lambda: all(p[2] == [1, 2, 3] for p in asyncio.run(describe(bootstrap, topic)).values()),
             60, "node 2 back in every ISR")
    # the restarted node serves reads as a leader too: kill another node, read again
    assert broker_cluster.kill_node(1, home=home)
    got = asyncio.run(read_all(bootstrap, topic, len(before + after + in_txn)))
    assert sorted(got) == sorted(before + after + in_txn)
    broker_cluster.start_node(1, home=home)
