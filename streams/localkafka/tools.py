"""``wirestream kafka TOOL ARGS...``: Kafka's own command-line tools, run from the broker's jar cache.

``kafka/pom.xml`` resolves ``org.apache.kafka:kafka-tools`` next to the broker, so every tool's main
class is on the same class path. The command adds what the operator would otherwise type each
time: ``--bootstrap-server`` (the configured broker: ``--broker``/``WIRESTREAM_BROKER``/the local one) and,
when the WIRESTREAM_* security settings ask for TLS or SASL (streams/client/security.py), a client properties
file in a private temporary directory, passed with the flag that tool reads (``--command-config``,
``--consumer.config``, ...) and deleted when the tool exits. Anything the operator passes wins: with their
own ``--bootstrap-server``/``--bootstrap-controller`` or config flag nothing is added.

Everything but :func:`run` is a pure function of its arguments.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from streams.localkafka.errors import LocalKafkaError


class Tool(NamedTuple):
    main: str  # main class in Kafka 4.x
    config_flag: str  # the flag that takes a client properties file
    bootstrap_flag: bool = True  # takes --bootstrap-server (else bootstrap.servers goes in the file)
    main_3x: str | None = None  # main class in Kafka 3.9 when it differs (not yet moved out of core)

    def main_class(self, version: str) -> str:
        return self.main_3x if self.main_3x and version.split(".")[0] == "3" else self.main


_T = "org.apache.kafka.tools."
TOOLS: dict[str, Tool] = {
    "topics": Tool(_T + "TopicCommand", "--command-config"),
    "consumer-groups": Tool(_T + "consumer.group.ConsumerGroupCommand", "--command-config"),
    "console-consumer": Tool(_T + "consumer.ConsoleConsumer", "--consumer.config"),
    "console-producer": Tool(_T + "ConsoleProducer", "--producer.config",
                             main_3x="kafka.tools.ConsoleProducer"),
    "configs": Tool("kafka.admin.ConfigCommand", "--command-config"),
    "get-offsets": Tool(_T + "GetOffsetShell", "--command-config"),
    "transactions": Tool(_T + "TransactionsCommand", "--command-config"),
    "delete-records": Tool(_T + "DeleteRecordsCommand", "--command-config"),
    "log-dirs": Tool(_T + "LogDirsCommand", "--command-config"),
    "reassign-partitions": Tool(_T + "reassign.ReassignPartitionsCommand", "--command-config"),
    "leader-election": Tool(_T + "LeaderElectionCommand", "--admin.config"),
    "acls": Tool(_T + "AclCommand", "--command-config", main_3x="kafka.admin.AclCommand"),
    "broker-api-versions": Tool(_T + "BrokerApiVersionsCommand", "--command-config",
                                main_3x="kafka.admin.BrokerApiVersionsCommand"),
    "metadata-quorum": Tool(_T + "MetadataQuorumCommand", "--command-config"),
    "features": Tool(_T + "FeatureCommand", "--command-config"),
    "delegation-tokens": Tool(_T + "DelegationTokenCommand", "--command-config"),
    "producer-perf-test": Tool(_T + "ProducerPerformance", "--producer.config", bootstrap_flag=False),
    "consumer-perf-test": Tool(_T + "ConsumerPerformance", "--consumer.config"),
}
"""Tool name (the ``kafka-NAME.sh`` script of a Kafka distribution) -> how to run it."""

JVM_OPTS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
"""Short-lived client JVMs: a small heap and the C1 JIT only start faster (Kafka's scripts use 256 MB)."""

_LOG4J2 = """Configuration:
  Appenders:
    Console: {name: STDERR, target: SYSTEM_ERR, PatternLayout: {pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: WARN, AppenderRef: {ref: STDERR}}
"""
_LOG4J1 = """log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
"""
"""Like Kafka's tools-log4j files: warnings and errors to stderr, so stdout carries only the tool's output."""

_LOGIN_MODULES = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule"}
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"


class UnknownTool(LocalKafkaError):
    def __init__(self, name: str):
        super().__init__(f"unknown Kafka tool {name!r}; tools: {', '.join(TOOLS)}")


def tool(name: str) -> Tool:
    name = name.removeprefix("kafka-").removesuffix(".sh")  # `kafka kafka-topics.sh` works too
    if name not in TOOLS:
        raise UnknownTool(name)
    return TOOLS[name]


def _has_flag(args: Sequence[str], *flags: str) -> bool:
    return any(a == f or a.startswith(f + "=") for a in args for f in flags)


def needs_bootstrap(args: Sequence[str]) -> bool:
    """Whether ``args`` leave the broker address to us (not given, and not just asking for help)."""
    return not _has_flag(args, "--bootstrap-server", "--bootstrap-controller", "--help", "-h", "--version")


def _escape(value: str) -> str:
    """A java.util.Properties value: backslashes and line breaks escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _jaas_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def client_properties(security, bootstrap: str | None = None) -> str | None:
    """Kafka client properties for a :class:`~streams.client.security.ClientSecurity` (and
    ``bootstrap.servers`` when given), or None when there is nothing to say (PLAINTEXT, no bootstrap)."""
    props: dict[str, str] = {}
    if bootstrap:
        props["bootstrap.servers"] = bootstrap
    if security is not None and security.protocol != "PLAINTEXT":
        props["security.protocol"] = security.protocol
        if security.tls and security.cafile:
            props["ssl.truststore.type"] = "PEM"
            props["ssl.truststore.location"] = str(Path(security.cafile).absolute())
        if security.sasl:
            props["sasl.mechanism"] = security.mechanism
            module = _LOGIN_MODULES.get(security.mechanism, _SCRAM_LOGIN)
            props["sasl.jaas.config"] = (f"{module} required username={_jaas_quote(security.username)} "
                                         f"password={_jaas_quote(security.password)};")
    if not props:
        return None
    return "".join(f"{key}={_escape(value)}\n" for key, value in props.items())


def build_argv(name: str, args: Sequence[str], *, java: str, classpath: str, bootstrap: str | None,
               config_file: str | None = None, log_config: str | None = None,
               version: str = "4") -> list[str]:
    """The java command line of tool ``name`` with the operator's ``args``.

    ``version`` is the Kafka version of the jars on ``classpath``; ``log_config`` a log4j2 ``.yaml``
    (Kafka 4) or log4j ``.properties`` (3.9) file. ``bootstrap`` is added as ``--bootstrap-server``
    (None: not added); ``config_file`` (the properties of :func:`client_properties`) with the tool's
    config flag, unless ``args`` already has that flag.
    Our options go first: argparse-style tools (transactions, metadata-quorum, features) only take
    them before their subcommand.
    """
    spec = tool(name)
    ours: list[str] = []
    if bootstrap and spec.bootstrap_flag:
        ours += ["--bootstrap-server", bootstrap]
    if config_file and not _has_flag(args, spec.config_flag):
        ours += [spec.config_flag, config_file]
    logging = []
    if log_config:
        logging = [f"-Dlog4j2.configurationFile={log_config}" if log_config.endswith(".yaml")
                   else f"-Dlog4j.configuration=file:{log_config}"]
    return [java, *JVM_OPTS, *logging, "-cp", classpath, spec.main_class(version), *ours, *args]


def run(name: str, args: Sequence[str], broker: str | None = None, echo=None) -> int:
    """Run tool ``name`` against the configured broker; its exit code (128 + N when killed by signal N).

    Raises :class:`UnknownTool`, a ClientError or a LocalKafkaError (no broker, no java, jars not
    resolvable, bad security settings) before anything runs.
    """
    from streams.client import security
    from streams.client.address import resolve_broker
    from streams.localkafka.jvm import classpath, ensure_jars, find_java, kafka_version, logging_profile

    spec = tool(name)
    bootstrap = resolve_broker(broker) if needs_bootstrap(args) else None
    settings = security.from_env()
    version = kafka_version()
    java = find_java()
    libs = ensure_jars(version, echo=echo)
    log4j2 = logging_profile(version) == "log4j2"
    with tempfile.TemporaryDirectory(prefix="wirestream-kafka-") as tmp:  # mode 0700
        log_config = Path(tmp) / ("log4j2.yaml" if log4j2 else "log4j.properties")
        log_config.write_text(_LOG4J2 if log4j2 else _LOG4J1)
        text = client_properties(settings, None if spec.bootstrap_flag else bootstrap)
        config_file = None
        if text is not None:
            config_file = str(Path(tmp) / "client.properties")
            fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        argv = build_argv(name, args, java=java, classpath=classpath(libs), bootstrap=bootstrap,
                          config_file=config_file, log_config=str(log_config), version=version)
        try:
            code = subprocess.run(argv).returncode
        except KeyboardInterrupt:
            code = 130
    return 128 - code if code < 0 else code
