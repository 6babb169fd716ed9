"""`wirestream kafka TOOL ARGS...`: Kafka's own command-line tools against the configured broker."""

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from streams.client.security import ClientSecurity
from streams.localkafka import tools as kafka_tools
from streams.localkafka.tools import TOOLS, UnknownTool, build_argv, client_properties

ARGV = {"java": "/usr/bin/java", "classpath": "/jars/a.jar:/jars/b.jar"}


def wirestream(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def sasl(mechanism="SCRAM-SHA-512", password="s3cret", cafile="/etc/ca.pem") -> ClientSecurity:
    return ClientSecurity(protocol="SASL_SSL", mechanism=mechanism, username="alice", password=password,
                          cafile=cafile)


def parse_properties(text: str) -> dict:
    """What java.util.Properties reads from ``text`` (the escapes client_properties writes)."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        out[key] = value.replace("\\\\", "\0").replace("\\n", "\n").replace("\\r", "\r").replace("\0", "\\")
    return out


# ------------------------------------------------------------------------------------------ argv


def test_argv_runs_the_tools_main_class_with_the_bootstrap_server_first():
    argv = build_argv("topics", ["--list"], bootstrap="127.0.0.1:9092", **ARGV)
    cp = argv.index("-cp")
    assert argv[0] == "/usr/bin/java" and argv[cp + 1] == ARGV["classpath"]
    assert argv[cp + 2:] == ["org.apache.kafka.tools.TopicCommand", "--bootstrap-server", "127.0.0.1:9092",
                             "--list"]
    # argparse tools take top-level options only before their subcommand: ours go first
    argv = build_argv("transactions", ["list"], bootstrap="h:1", **ARGV)
    assert argv[-4:] == ["org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", "h:1", "list"]


def test_main_classes_of_kafka_4_and_the_3_9_fallback():
    assert TOOLS["consumer-groups"].main == "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
    assert TOOLS["console-consumer"].main == "org.apache.kafka.tools.consumer.ConsoleConsumer"
    assert TOOLS["configs"].main == "kafka.admin.ConfigCommand"
    argv = build_argv("console-producer", ["--topic", "t"], bootstrap="h:1", version="3.9.1", **ARGV)
    assert "kafka.tools.ConsoleProducer" in argv
    argv = build_argv("console-producer", ["--topic", "t"], bootstrap="h:1", version="4.1.1", **ARGV)
    assert "org.apache.kafka.tools.ConsoleProducer" in argv


def test_the_operators_own_bootstrap_and_config_win():
    args = ["--bootstrap-server=other:9", "--list", "--command-config", "mine.properties"]
    assert not kafka_tools.needs_bootstrap(args)
    assert not kafka_tools.needs_bootstrap(["--bootstrap-controller", "c:9093", "--describe"])
    assert not kafka_tools.needs_bootstrap(["--help"])
    assert kafka_tools.needs_bootstrap(["--list"])
    argv = build_argv("topics", args, bootstrap=None, config_file="/tmp/ours", **ARGV)
    assert "/tmp/ours" not in argv and argv[-4:] == args


@pytest.mark.parametrize(("name", "flag"), [("topics", "--command-config"),
                                            ("consumer-groups", "--command-config"),
                                            ("console-consumer", "--consumer.config"),
                                            ("console-producer", "--producer.config"),
                                            ("leader-election", "--admin.config")])
def test_each_tool_gets_the_properties_file_with_its_own_flag(name, flag):
    argv = build_argv(name, ["--x"], bootstrap="h:1", config_file="/tmp/d/client.properties", **ARGV)
    i = argv.index(flag)
    assert argv[i + 1] == "/tmp/d/client.properties" and argv[-1] == "--x"


def test_unknown_tool_names_every_tool():
    with pytest.raises(UnknownTool) as err:
        kafka_tools.tool("topcis")
    assert "'topcis'" in str(err.value) and "topics, consumer-groups, console-consumer" in str(err.value)
    assert kafka_tools.tool("kafka-topics.sh") is TOOLS["topics"]


# ------------------------------------------------------------------------------------ security


def test_plaintext_needs_no_properties_file():
    assert client_properties(ClientSecurity()) is None
    assert parse_properties(client_properties(ClientSecurity(), "h:1")) == {"bootstrap.servers": "h:1"}


def test_scram_over_tls_properties():
    props = parse_properties(client_properties(sasl()))
    assert props == {
        "security.protocol": "SASL_SSL",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": "/etc/ca.pem",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                            'username="alice" password="s3cret";',
    }


def test_plain_login_module_and_quotes_in_the_password_survive_both_escapes():
    props = parse_properties(client_properties(sasl("PLAIN", password='a"b\\c', cafile=None)))
    assert "ssl.truststore.location" not in props  # the JVM's CAs
    assert props["sasl.jaas.config"] == ('org.apache.kafka.common.security.plain.PlainLoginModule required '
                                         'username="alice" password="a\\"b\\\\c";')


def test_ssl_only_gets_the_truststore_but_no_sasl():
    props = parse_properties(client_properties(ClientSecurity(protocol="SSL", cafile="ca.pem")))
    assert props["security.protocol"] == "SSL"
    assert props["ssl.truststore.location"] == str(Path("ca.pem").absolute())
    assert "sasl.jaas.config" not in props


def test_run_passes_a_private_properties_file_never_the_password_and_the_exit_code(monkeypatch, tmp_path):
    """The secret goes in a 0600 file in a private directory, gone once the tool exits; not in argv."""
    pw = tmp_path / "pw"
    pw.write_text("hunter2-" + uuid.uuid4().hex)
    for name, value in {"WIRESTREAM_SECURITY_PROTOCOL": "SASL_SSL", "WIRESTREAM_SASL_USERNAME": "alice",
                        "WIRESTREAM_SASL_PASSWORD_FILE": str(pw), "WIRESTREAM_BROKER": "kafka://h:9"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WIRESTREAM_SASL_PASSWORD", raising=False)
    monkeypatch.delenv("WIRESTREAM_SSL_CAFILE", raising=False)
    import streams.localkafka.jvm as jvm

    monkeypatch.setattr(jvm, "find_java", lambda: "/usr/bin/java")
    monkeypatch.setattr(jvm, "ensure_jars", lambda version, echo=None: tmp_path)
    seen = {}

    def fake_run(argv):
        config = Path(argv[argv.index("--command-config") + 1])
        seen.update(argv=argv, mode=stat.S_IMODE(config.stat().st_mode),
                    dir_mode=stat.S_IMODE(config.parent.stat().st_mode), text=config.read_text(), path=config)
        return subprocess.CompletedProcess(argv, 3)

    monkeypatch.setattr(kafka_tools.subprocess, "run", fake_run)
    assert kafka_tools.run("consumer-groups", ["--list"]) == 3
    secret = pw.read_text()
    assert seen["mode"] == 0o600 and seen["dir_mode"] == 0o700
    assert f'password="{secret}"' in seen["text"]
    assert not any(secret in a for a in seen["argv"])
    assert seen["argv"][seen["argv"].index("--bootstrap-server") + 1] == "h:9"
    assert not seen["path"].exists()

    monkeypatch.setattr(kafka_tools.subprocess, "run", lambda argv: subprocess.CompletedProcess(argv, -9))
    assert kafka_tools.run("topics", ["--list"]) == 128 + 9


def test_cli_unknown_tool_is_one_line_listing_the_tools():
    done = wirestream("kafka", "topcis", "--list")
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("wirestream: unknown Kafka tool 'topcis'; tools: topics, consumer-groups")


# -------------------------------------------------------------------------------- real broker


@pytest.mark.broker
def test_topics_list_and_the_tools_exit_code(bootstrap):
    import dataclasses

    from streams.client.io import ensure_topics
    from streams.settings import get_settings

    prefix = f"tools-{uuid.uuid4().hex[:6]}."
    asyncio.run(ensure_topics(bootstrap, dataclasses.replace(get_settings(), topic_prefix=prefix)))
    done = wirestream("kafka", "topics", "--list")
    assert done.returncode == 0, done.stderr
    assert f"{prefix}articles.raw" in done.stdout.splitlines()
    done = wirestream("kafka", "topics", "--describe", "--topic", f"{prefix}articles.raw")
    assert done.returncode == 0, done.stderr
    assert "PartitionCount: 4" in done.stdout
    missing = wirestream("kafka", "topics", "--describe", "--topic", f"{prefix}no-such-topic")
    assert missing.returncode == 1 and "does not exist" in missing.stdout + missing.stderr


@pytest.mark.broker
def test_consumer_groups_describe_shows_the_group_and_its_lag(bootstrap):
    """A group that committed 2 of 5 records: the tool shows it with LAG 3."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.structs import OffsetAndMetadata

    from streams.client.io import open_producer

    topic, group = f"tools-lag-{uuid.uuid4().hex[:6]}", f"tools-group-{uuid.uuid4().hex[:6]}"

    async def commit_two_of_five():
        producer = await open_producer(bootstrap)
        try:
            for n in range(5):
                await producer.send_and_wait(topic, b"x%d" % n, partition=0)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.commit({tp: OffsetAndMetadata(2, "")})
        finally:
            await consumer.stop()

    asyncio.run(commit_two_of_five())
    done = wirestream("kafka", "consumer-groups", "--describe", "--group", group)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    header = next(row for row in lines if row[0] == "GROUP")
    assert "LAG" in header
    [row] = [row for row in lines if row[0] == group and row[1] == topic]
    cols = dict(zip(header, row, strict=False))
    assert (cols["PARTITION"], cols["CURRENT-OFFSET"], cols["LOG-END-OFFSET"], cols["LAG"]) == \
        ("0", "2", "5", "3")
