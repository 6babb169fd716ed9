"""Local Kafka broker management (streams/localkafka/node.py, streams/cli/broker.py).

Tests marked ``broker`` start a real Apache Kafka broker in a temporary WIRESTREAM_HOME on free ports. They
reuse the jar cache of the surrounding environment (WIRESTREAM_KAFKA_CACHE, else <home>/kafka of the
current WIRESTREAM_HOME or ~/.wirestream), so Maven runs at most once per machine.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from streams import localkafka
from streams.cli.broker import broker as broker_group
from streams.client import address
from streams.client.errors import AddressError, NoBrokerError
from streams.localkafka import jvm
from streams.localkafka import node as broker
from streams.localkafka.errors import LocalKafkaError
from tests.support import REPO

# ---------------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def jar_cache() -> str:
    """Jar cache shared with the developer's environment (computed before any test changes the env)."""
    return str(jvm.jar_cache_dir())


@pytest.fixture
def isolated(tmp_path, monkeypatch, jar_cache):
    """A throwaway WIRESTREAM_HOME on a free port, sharing the jar cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("WIRESTREAM_HOME", str(home))
    monkeypatch.setenv("WIRESTREAM_KAFKA_CACHE", jar_cache)
    monkeypatch.setenv("WIRESTREAM_BROKER_PORT", str(broker.free_port()))
    monkeypatch.delenv("WIRESTREAM_BROKER", raising=False)
    monkeypatch.delenv("WIRESTREAM_BROKER_JVM_OPTS", raising=False)
    yield home
    broker.stop(home=home)


def _cli(*args: str) -> subprocess.CompletedProcess:
    """Run `wirestream broker ...` in a separate Python process (as a user would)."""
    code = (
        "import sys; from streams.cli.broker import broker; "
        "broker(sys.argv[1:], prog_name='wirestream broker')"
    )
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


async def _roundtrip(bootstrap: str, topic: str) -> bytes:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello wirestream", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"test-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    try:
        msg = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    return msg.value


async def _topics(bootstrap: str) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def _fake_exe(directory: Path, name: str, script: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# ---------------------------------------------------------------------------------------- real broker


@pytest.mark.broker
def test_lifecycle_start_status_idempotent_roundtrip_stop(isolated):
    port = int(os.environ["WIRESTREAM_BROKER_PORT"])
    expected = f"127.0.0.1:{port}"

    # nothing yet
    assert broker.status() is None
    assert localkafka.local_bootstrap() is None
    stopped = _cli("status")
    assert stopped.returncode == 3, stopped
    assert stopped.stdout.strip() == "stopped"

    # start from a separate CLI process: the broker must outlive it
    started = _cli("start")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == expected

    running = _cli("status")
    assert running.returncode == 0, running
    assert running.stdout.startswith("running ") and f"bootstrap={expected}" in running.stdout
    state = broker.status()
    assert state and state["bootstrap"] == expected and state["version"] == jvm.KAFKA_VERSION
    assert {"pid", "controller", "started_at"} <= state.keys()
    assert localkafka.local_bootstrap() == expected
    assert address.resolve_broker(None) == expected

    # second start: same address, same process
    again = _cli("start")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == expected
    assert broker.start() == expected
    assert broker.status()["pid"] == state["pid"]

    # a real produce/consume round trip
    assert asyncio.run(_roundtrip(expected, "wirestream-test-roundtrip")) == b"hello wirestream"

    # stop, idempotently
    out = _cli("stop")
    assert out.returncode == 0 and out.stdout.strip() == f"stopped (pid {state['pid']})", out
    assert _cli("stop").stdout.strip() == "not running"
    assert _cli("status").returncode == 3
    assert localkafka.local_bootstrap() is None

    # a restart keeps the data (same home, same port) and the topic
    assert broker.start() == expected
    assert "wirestream-test-roundtrip" in asyncio.run(_topics(expected))
    assert broker.stop() is not None
    assert broker.stop() is None


@pytest.mark.broker
def test_local_broker_context_manager(isolated):
    with broker.local_broker() as bootstrap:
        assert localkafka.local_bootstrap() == bootstrap
        # nested use reuses the running broker and leaves it running
        with broker.local_broker() as inner:
            assert inner == bootstrap
        assert localkafka.local_bootstrap() == bootstrap
    assert broker.status() is None


@pytest.mark.broker
def test_broker_exiting_during_startup_is_reported(isolated, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_BROKER_JVM_OPTS", "-XX:+NoSuchWirestreamOption")
    with pytest.raises(LocalKafkaError) as err:
        broker.start(timeout=30)
    message = str(err.value)
    assert "exited during startup" in message
    assert "NoSuchWirestreamOption" in message
    assert str(isolated / "broker" / "broker.log") in message
    assert "\n" not in message
    assert broker.status() is None


@pytest.mark.broker
def test_readiness_timeout_is_reported_and_cleaned_up(isolated):
    with pytest.raises(LocalKafkaError, match=r"did not answer a metadata request within .*--timeout"):
        broker.start(timeout=0.3)
    assert broker.status() is None


@pytest.mark.broker
def test_forced_port_in_use(isolated, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        monkeypatch.setenv("WIRESTREAM_BROKER_PORT", str(sock.getsockname()[1]))
        with pytest.raises(LocalKafkaError, match="already in use"):
            broker.start()


# ------------------------------------------------------------------------------------ errors, no broker


def test_missing_java(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("WIRESTREAM_HOME", str(tmp_path / "home"))
    with pytest.raises(LocalKafkaError, match=r"^no `java` found on PATH.*: install OpenJDK 17: apt-get"):
        broker.find_java()
    with pytest.raises(LocalKafkaError, match="install OpenJDK 17"):
        broker.start()
    result = CliRunner().invoke(broker_group, ["start"])
    assert result.exit_code == 1
    assert "install OpenJDK 17" in result.output


def test_old_java(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    _fake_exe(bindir, "java", 'echo \'openjdk version "11.0.21" 2023-10-17\' >&2\n')
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(LocalKafkaError, match=r"is Java 11, Kafka needs Java 17\+: install OpenJDK 17"):
        broker.find_java()


def _java_only_path(tmp_path: Path) -> Path:
    java = broker.find_java() if _has_java() else None
    if not java:
        pytest.skip("no java")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "java").symlink_to(java)
    return bindir


def _has_java() -> bool:
    try:
        broker.find_java()
    except LocalKafkaError:
        return False
    return True


def test_missing_mvn(tmp_path, monkeypatch):
    bindir = _java_only_path(tmp_path)
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(LocalKafkaError, match=r"Maven \(`mvn`\) not found on PATH.*apt-get install maven"):
        broker.ensure_jars(cache_dir=tmp_path / "cache")


def test_mvn_failure_shows_error_line_and_log(tmp_path, monkeypatch):
    bindir = _java_only_path(tmp_path)
    _fake_exe(bindir, "mvn", (
        'echo "[INFO] Scanning for projects..."\n'
        'echo "[ERROR] Failed to execute goal on project x: Could not resolve dependencies: boom"\n'
        'echo "[ERROR] -> [Help 1]"\n'
        "exit 1\n"
    ))
    monkeypatch.setenv("PATH", str(bindir))
    cache = tmp_path / "cache"
    with pytest.raises(LocalKafkaError) as err:
        broker.ensure_jars(cache_dir=cache)
    message = str(err.value)
    assert "Could not resolve dependencies: boom" in message
    assert str(cache / f"mvn-{jvm.KAFKA_VERSION}.log") in message
    assert not (cache / f"libs-{jvm.KAFKA_VERSION}").exists()


def test_status_and_stop_on_empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_HOME", str(tmp_path / "nothing"))
    assert broker.status() is None
    assert localkafka.local_bootstrap() is None
    assert broker.stop() is None
    runner = CliRunner()
    assert runner.invoke(broker_group, ["status"]).exit_code == 3
    result = runner.invoke(broker_group, ["stop"])
    assert result.exit_code == 0 and result.output.strip() == "not running"


def test_stale_state_file_is_not_running(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_HOME", str(tmp_path))
    bdir = tmp_path / "broker"
    bdir.mkdir()
    # our own pid is alive but is not this home's Kafka broker
    (bdir / "state.json").write_text(f'{{"pid": {os.getpid()}, "bootstrap": "127.0.0.1:1"}}')
    assert broker.status() is None
    assert localkafka.local_bootstrap() is None


def test_home_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("WIRESTREAM_HOME", raising=False)
    assert broker.home() == Path.home() / ".wirestream"
    monkeypatch.setenv("WIRESTREAM_HOME", str(tmp_path))
    assert broker.home() == tmp_path
    monkeypatch.delenv("WIRESTREAM_KAFKA_CACHE", raising=False)
    assert jvm.jar_cache_dir() == tmp_path / "kafka"


# ------------------------------------------------------------------------------------------ broker URLs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kafka://localhost:9092", "localhost:9092"),
        ("kafka://a:1,b:2", "a:1,b:2"),
        ("kafka://a:1,kafka://b:2", "a:1,b:2"),
        ("KAFKA://Broker.example:19092/", "Broker.example:19092"),
        ("127.0.0.1:9092", "127.0.0.1:9092"),
        ("  host1:1 , host2:2 ", "host1:1,host2:2"),
        ("kafka://kafka", "kafka:9092"),
        ("broker", "broker:9092"),
        ("kafka://[::1]:9093", "[::1]:9093"),
        ("[::1]", "[::1]:9092"),
    ],
)
def test_parse_broker_url(value, expected):
    assert address.parse_broker_url(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "http://a:1", "kafka://", "kafka://a:0", "kafka://a:65536", "kafka://a:x", "a:1,,b:2",
     "kafka://a:1/topic", "::1:9092", "kafka://user@a:1", "kafka://:9092"],
)
def test_parse_broker_url_rejects(value):
    with pytest.raises(AddressError) as err:
        address.parse_broker_url(value)
    assert "\n" not in str(err.value)


def test_resolve_broker(monkeypatch):
    monkeypatch.delenv("WIRESTREAM_BROKER", raising=False)
    assert address.resolve_broker("kafka://h:1") == "h:1"
    monkeypatch.setenv("WIRESTREAM_BROKER", "kafka://env:2")
    assert address.resolve_broker(None) == "env:2"
    assert address.resolve_broker("kafka://given:3") == "given:3"
    monkeypatch.delenv("WIRESTREAM_BROKER")
    monkeypatch.setattr(localkafka, "local_bootstrap", lambda **_: "127.0.0.1:9999")
    assert address.resolve_broker(None) == "127.0.0.1:9999"
    monkeypatch.setattr(localkafka, "local_bootstrap", lambda **_: None)
    with pytest.raises(NoBrokerError) as err:
        address.resolve_broker(None)
    assert str(err.value) == (
        "no Kafka broker: pass --broker kafka://host:port, set WIRESTREAM_BROKER, "
        "or run `wirestream broker start`"
    )


# ------------------------------------------------------------------------ cluster and --secure, no broker


def test_cluster_node_properties():
    from streams.localkafka.cluster import node_properties

    text = node_properties(Path("/d"), 2, [[9001, 9101], [9002, 9102], [9003, 9103]])
    props = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert props["node.id"] == "2"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103"
    assert "controller.quorum.bootstrap.servers" not in props
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor"):
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["unclean.leader.election.enable"] == "false"


def test_cluster_commands_without_a_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_HOME", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(broker_group, ["kill-node", "2"])
    assert result.exit_code == 1 and "no local cluster in" in result.output
    assert "--nodes 3" in result.output
    result = runner.invoke(broker_group, ["start", "--nodes", "3", "--secure"])
    assert result.exit_code == 1 and "--secure and --port are for the single-node broker" in result.output
    with pytest.raises(LocalKafkaError, match="at least 2 nodes"):
        from streams.localkafka.cluster import start

        start(1)


def test_status_lines_show_secure_listener_and_nodes():
    from streams.cli.broker import status_lines

    single = {"pid": 1, "bootstrap": "127.0.0.1:1", "secure_bootstrap": "127.0.0.1:2",
              "security_protocol": "SASL_SSL", "sasl_mechanisms": ["SCRAM-SHA-256", "PLAIN"],
              "sasl_username": "wirestream", "password_file": "/h/pw", "cafile": "/h/ca.pem",
              "client_env": "/h/client.env"}
    cluster = {"bootstrap": "127.0.0.1:5,127.0.0.1:6", "version": "4.1.1", "nodes": [
        {"id": 1, "pid": 10, "bootstrap": "127.0.0.1:5", "log": "/c/1.log"},
        {"id": 2, "pid": None, "bootstrap": "127.0.0.1:6", "log": "/c/2.log"}]}
    lines = status_lines(single, cluster)
    assert lines[0] == "running pid=1 bootstrap=127.0.0.1:1"
    assert lines[1] == ("secure SASL_SSL bootstrap=127.0.0.1:2 mechanisms=SCRAM-SHA-256,PLAIN "
                        "user=wirestream password_file=/h/pw cafile=/h/ca.pem client_env=/h/client.env")
    assert lines[2] == "cluster 1/2 nodes running bootstrap=127.0.0.1:5,127.0.0.1:6 version=4.1.1"
    assert lines[3:] == ["  node 1: running pid=10 bootstrap=127.0.0.1:5 log=/c/1.log",
                         "  node 2: stopped bootstrap=127.0.0.1:6 log=/c/2.log"]


def test_cluster_ids_never_look_like_an_option(monkeypatch):
    """kafka-storage format -t <id> reads an id starting with "-" as an option and fails."""
    first = uuid.UUID(bytes=b"\xfb" + bytes(15))  # base64 "-w..."
    ids = iter([first, uuid.UUID(int=1)])
    monkeypatch.setattr(broker.uuid, "uuid4", lambda: next(ids))
    cluster_id = broker.new_cluster_id()
    assert not cluster_id.startswith("-") and len(cluster_id) == 22
