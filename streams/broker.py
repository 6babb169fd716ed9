"""Local single-node Apache Kafka broker (KRaft, combined broker+controller) without Docker.

The broker's jars come from Maven Central: ``streams/kafka/pom.xml`` is resolved once with
``mvn dependency:copy-dependencies`` into ``<jar cache>/libs-<version>`` (Maven's own ``~/.m2`` cache is
reused), storage is formatted once under ``<home>/broker/data`` (topics survive stop/start) and the JVM
runs detached in its own session, logging to ``<home>/broker/broker.log``. ``<home>/broker/state.json``
records ``pid``, ``bootstrap``, ``controller``, ``version`` and ``started_at`` so that other commands can
find the running broker (:func:`local_bootstrap`).

Environment:
  WIRESTREAM_HOME          state directory (default ``~/.wirestream``)
  WIRESTREAM_BROKER_PORT   force the broker (PLAINTEXT) port; the controller takes the next free one
  WIRESTREAM_KAFKA_CACHE   directory holding ``libs-<version>`` (default ``<home>/kafka``); point several
                           homes (e.g. test homes) at one cache to download the jars only once
  WIRESTREAM_KAFKA_VERSION override :data:`KAFKA_VERSION` (4.x uses log4j2, 3.9.x uses reload4j)
  WIRESTREAM_BROKER        broker URL used by :func:`resolve_broker` when none is passed
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import psutil

from streams.config import home

KAFKA_VERSION = "4.1.1"
"""Kafka version run by default. 3.9.1 also works (the pom's ``reload4j`` profile is picked for 3.x)."""

HEAP = "512m"
DEFAULT_PORT = 9092
MIN_JAVA = 17
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 0.2
MVN_TIMEOUT = 1800.0

JVM_OPTS: list[str] = [
    f"-Xms{HEAP}",
    f"-Xmx{HEAP}",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]
"""JVM options of the broker; ``$WIRESTREAM_BROKER_JVM_OPTS`` (shell-split) is appended."""

FAST_START = True
"""HotSpot only: C1-only JIT (``-XX:TieredStopAtLevel=1``) plus an application class-data-sharing archive
(AppCDS, dumped when the first broker exits, kept next to the jars). On a 2-CPU machine this takes a cold
start from ~11 s to ~3 s; C1 code is slower at peak, which does not matter for a development broker.
``WIRESTREAM_BROKER_FAST_START=0`` turns both off."""

NODE_ID = 1
NO_BROKER_MESSAGE = (
    "no Kafka broker: pass --broker kafka://host:port, set WIRESTREAM_BROKER, "
    "or run `wirestream broker start`"
)
JAVA_INSTALL_HINT = "install OpenJDK 17: apt-get install openjdk-17-jre-headless"

_KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
_STATE_FILE = "state.json"
_PORTS_FILE = "ports.json"
_COMPLETE_MARKER = ".complete.json"
_FORMAT_RECORD = "wirestream-format.json"

# Broker processes spawned by this Python process (so stop() can reap them: no zombies, no ResourceWarning).
_CHILDREN: dict[int, subprocess.Popen] = {}

Echo = Callable[[str], None]


class BrokerError(RuntimeError):
    """Something about the local broker is wrong; the message is one line: what is wrong + what to do."""


# --------------------------------------------------------------------------------------------- paths


def jar_cache_dir() -> Path:
    """Directory holding ``libs-<version>``: ``$WIRESTREAM_KAFKA_CACHE`` or ``<home>/kafka``."""
    value = os.environ.get("WIRESTREAM_KAFKA_CACHE")
    return Path(value).expanduser().absolute() if value else home() / "kafka"


def kafka_version() -> str:
    return os.environ.get("WIRESTREAM_KAFKA_VERSION") or KAFKA_VERSION


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError as exc:
        raise BrokerError(f"invalid Kafka version {version!r}: use e.g. {KAFKA_VERSION}") from exc


def _logging_profile(version: str) -> str:
    return "log4j2" if _major(version) >= 4 else "reload4j"


def _broker_dir(base: Path | None) -> Path:
    return (Path(base).expanduser().absolute() if base is not None else home()) / "broker"


# ---------------------------------------------------------------------------------------------- java


def find_java() -> str:
    """Path of a ``java`` >= 17 (``$JAVA_HOME/bin/java`` first, then PATH); BrokerError otherwise."""
    java = None
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            java = str(candidate)
    java = java or shutil.which("java")
    if not java:
        raise BrokerError(f"no `java` found on PATH (Kafka needs Java {MIN_JAVA}+): {JAVA_INSTALL_HINT}")
    major = _java_info(java)[0]
    if major < MIN_JAVA:
        raise BrokerError(f"{java} is Java {major}, Kafka needs Java {MIN_JAVA}+: {JAVA_INSTALL_HINT}")
    return java


@cache
def _java_info(java: str) -> tuple[int, str]:
    """(major version, full ``java -version`` output) of ``java``."""
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerError(f"cannot run `{java} -version` ({exc}): {JAVA_INSTALL_HINT}") from exc
    text = proc.stderr + proc.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        raise BrokerError(f"cannot tell the Java version of {java}: {JAVA_INSTALL_HINT}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    return major, text


# ---------------------------------------------------------------------------------------------- jars


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:  # noqa: SIM115 - held for the duration of the lock
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pom_fingerprint(version: str, profile: str) -> str:
    digest = hashlib.sha256((_KAFKA_DIR / "pom.xml").read_bytes())
    digest.update(f"\0{version}\0{profile}".encode())
    return digest.hexdigest()


def _libs_marker(libs: Path) -> dict:
    try:
        marker = json.loads((libs / _COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _libs_complete(libs: Path, fingerprint: str) -> bool:
    marker = _libs_marker(libs)
    if marker.get("fingerprint") != fingerprint or not marker.get("jars"):
        return False
    return all((libs / name).is_file() and (libs / name).stat().st_size > 0 for name in marker["jars"])


def _classpath(libs: Path) -> str:
    """Explicit, sorted class path of ``libs`` (deterministic, as the CDS archive requires)."""
    jars = _libs_marker(libs).get("jars") or sorted(p.name for p in libs.glob("*.jar"))
    return os.pathsep.join(str(libs / name) for name in jars)


def _mvn_error_line(log_text: str) -> str:
    boring = ("-> [Help", "Re-run Maven", "To see the full stack", "For more information about",
              "[Help 1]", "After correcting the problems")
    for line in log_text.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        if line.startswith("[ERROR]"):
            text = line[len("[ERROR]"):].strip()
            if text and not any(text.startswith(b) for b in boring):
                return text[:400]
    lines = [ln.strip() for ln in log_text.splitlines() if ln.strip()]
    return lines[-1][:400] if lines else "no output"


def ensure_jars(
    version: str | None = None, *, cache_dir: Path | None = None, echo: Echo | None = None
) -> Path:
    """Return ``<cache>/libs-<version>`` holding the broker's runtime class path, running Maven if needed.

    Maven is skipped entirely when the directory is complete (all jars of the last successful resolution
    present and the pom unchanged). Resolution goes to a temporary directory that replaces the old one only
    on success; a lock keeps concurrent starts from resolving twice.
    """
    version = version or kafka_version()
    profile = _logging_profile(version)
    cache_dir = cache_dir if cache_dir is not None else jar_cache_dir()
    libs = cache_dir / f"libs-{version}"
    fingerprint = _pom_fingerprint(version, profile)
    if _libs_complete(libs, fingerprint):
        return libs
    with _file_lock(cache_dir / f".lock-{version}"):
        if _libs_complete(libs, fingerprint):
            return libs
        java = find_java()
        mvn = shutil.which("mvn")
        if not mvn:
            raise BrokerError(
                "Maven (`mvn`) not found on PATH; it is needed once to download the Kafka jars: "
                "apt-get install maven"
            )
        work = cache_dir / f"build-{version}"
        tmp_libs = cache_dir / f"libs-{version}.tmp"
        shutil.rmtree(tmp_libs, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_KAFKA_DIR / "pom.xml", work / "pom.xml")
        log_path = cache_dir / f"mvn-{version}.log"
        cmd = [
            mvn, "-B", "-ntp", "-Dstyle.color=never", "-f", str(work / "pom.xml"),
            f"-Dkafka.version={version}", f"-P{profile}",
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={tmp_libs}",
        ]
        env = dict(os.environ)
        env.setdefault("JAVA_HOME", str(Path(java).resolve().parent.parent))
        if echo:
            echo(f"resolving Kafka {version} jars with Maven (once; about a minute on a cold ~/.m2) ...")
        with open(log_path, "w") as log:
            try:
                proc = subprocess.run(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, timeout=MVN_TIMEOUT)
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                rc = None
            except OSError as exc:
                raise BrokerError(f"cannot run {mvn} ({exc}): check the Maven installation") from exc
        if rc != 0:
            shutil.rmtree(tmp_libs, ignore_errors=True)
            if rc is None:
                what = f"timed out after {MVN_TIMEOUT:.0f} s"
            else:
                what = _mvn_error_line(log_path.read_text(errors="replace"))
            raise BrokerError(
                f"Maven could not resolve the Kafka {version} jars: {what} "
                f"(full log: {log_path}; check access to Maven Central, then retry)"
            )
        jars = sorted(p.name for p in tmp_libs.glob("*.jar")) if tmp_libs.is_dir() else []
        if not any(name.startswith("kafka_2.13-") for name in jars):
            raise BrokerError(f"Maven succeeded but no kafka_2.13 jar is in {tmp_libs}: see {log_path}")
        (tmp_libs / _COMPLETE_MARKER).write_text(
            json.dumps({"version": version, "profile": profile, "fingerprint": fingerprint, "jars": jars})
        )
        old = cache_dir / f"libs-{version}.old"
        shutil.rmtree(old, ignore_errors=True)
        if libs.exists():
            libs.rename(old)
        tmp_libs.rename(libs)
        shutil.rmtree(old, ignore_errors=True)
        return libs


# ------------------------------------------------------------------------------------- fast start


def _hotspot(java: str) -> bool:
    text = _java_info(java)[1]
    return "Server VM" in text and "OpenJ9" not in text


def _fast_start_opts(java: str, libs: Path, classpath: str, version: str) -> list[str]:
    """C1-only JIT + AppCDS options for HotSpot JVMs (see :data:`FAST_START`); [] elsewhere."""
    if not FAST_START or os.environ.get("WIRESTREAM_BROKER_FAST_START", "1").strip() in ("0", "false", "no"):
        return []
    if not _hotspot(java):
        return []
    version_text = _java_info(java)[1]
    opts = ["-XX:TieredStopAtLevel=1", "-Xlog:cds*=off", "-Xlog:class+path=off"]
    key = hashlib.sha256(
        "\0".join([java, version_text, classpath, _libs_marker(libs).get("fingerprint", "")]).encode()
    ).hexdigest()[:16]
    cds_dir = libs.parent / "cds"
    archive = cds_dir / f"kafka-{version}-{key}.jsa"
    if archive.is_file():
        return [*opts, f"-XX:SharedArchiveFile={archive}"]
    cds_dir.mkdir(parents=True, exist_ok=True)
    # A previous broker dumped an archive when it exited: adopt it if the JVM accepts it (-Xshare:on fails on
    # a truncated or mismatching archive instead of silently ignoring or crashing on it).
    for dump in sorted(cds_dir.glob(f"{archive.name}.*.tmp")):
        try:
            ok = subprocess.run(
                [java, f"-XX:SharedArchiveFile={dump}", "-Xshare:on", f"-XX:ErrorFile={cds_dir}/hs_err.log",
                 "-cp", classpath, "-version"],
                cwd=cds_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            ).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            dump.replace(archive)
            for stale in cds_dir.glob(f"kafka-{version}-*.jsa"):
                if stale != archive:
                    stale.unlink(missing_ok=True)
            return [*opts, f"-XX:SharedArchiveFile={archive}"]
        dump.unlink(missing_ok=True)
        (cds_dir / "hs_err.log").unlink(missing_ok=True)
    return [*opts, f"-XX:ArchiveClassesAtExit={cds_dir / f'{archive.name}.{uuid.uuid4().hex[:8]}.tmp'}"]


# --------------------------------------------------------------------------------------------- ports


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the JVM: SO_REUSEADDR, so TIME_WAIT leftovers of the previous run do not count as "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", exclude: tuple[int, ...] = ()) -> int:
    """An unused TCP port on ``host`` (chosen by the OS)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in exclude:
            return port
    raise BrokerError("cannot find a free TCP port on 127.0.0.1: free some ports and retry")


def _choose_ports(bdir: Path, forced: int | None) -> tuple[int, int]:
    previous: dict = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads((bdir / _PORTS_FILE).read_text())
    prev_port, prev_ctrl = previous.get("port"), previous.get("controller")
    if forced is not None:
        if not 0 < forced < 65536:
            raise BrokerError(f"invalid broker port {forced}: use 1-65535 (WIRESTREAM_BROKER_PORT / --port)")
        if not _port_free(forced):
            raise BrokerError(
                f"port {forced} (WIRESTREAM_BROKER_PORT / --port) is already in use: choose another port or "
                "unset it to let wirestream pick one"
            )
        port = forced
    else:
        candidates = [p for p in (prev_port, DEFAULT_PORT) if isinstance(p, int)]
        port = next((p for p in candidates if _port_free(p)), None) or free_port()
    ctrl_candidates = [p for p in (prev_ctrl, port + 1, DEFAULT_PORT + 1) if isinstance(p, int) and p != port]
    ctrl = next((p for p in ctrl_candidates if p < 65536 and _port_free(p)), None)
    return port, ctrl or free_port(exclude=(port,))


def _port_answers(bootstrap: str, timeout: float = 0.5) -> bool:
    host, _, port = bootstrap.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------------------------ broker config


def _server_properties(data_dir: Path, port: int, ctrl: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctrl}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{ctrl}",
        "log.dirs": str(data_dir),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.partitions": "4",
        "auto.create.topics.enable": "true",
    }
    lines = ["# written by `wirestream broker start`; rewritten on every start"]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


_LOG4J_PROPERTIES = """\
# Kafka 3.x (reload4j) logging for `wirestream broker start`: everything to stdout (broker.log)
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.Kafka$=INFO
"""


def _logging_jvm_opt(version: str, bdir: Path) -> str:
    if _logging_profile(version) == "log4j2":
        return f"-Dlog4j2.configurationFile={_KAFKA_DIR / 'log4j2.yaml'}"
    path = bdir / "log4j.properties"
    path.write_text(_LOG4J_PROPERTIES)
    return f"-Dlog4j.configuration=file:{path}"


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _format_storage(
    java: str, libs: Path, log_opt: str, props: Path, data_dir: Path, version: str, echo: Echo | None
) -> None:
    record = data_dir / _FORMAT_RECORD
    if (data_dir / "meta.properties").is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            formatted = json.loads(record.read_text()).get("kafka_version")
            if formatted and _version_tuple(formatted) > _version_tuple(version):
                raise BrokerError(
                    f"{data_dir} holds Kafka {formatted} data, which Kafka {version} cannot read: "
                    f"set WIRESTREAM_KAFKA_VERSION={formatted}, or remove {data_dir} (its topics are lost)"
                )
        return
    if echo:
        echo(f"formatting Kafka storage in {data_dir} ...")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = props.parent / "format.log"
    fast = ["-XX:TieredStopAtLevel=1"] if _hotspot(java) else []
    cmd = [java, "-Xmx256m", *fast, log_opt, "-cp", _classpath(libs), "kafka.tools.StorageTool", "format",
           "-t", _cluster_id(), "-c", str(props), "--standalone", "--ignore-formatted"]
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=300)
    if proc.returncode != 0 or not (data_dir / "meta.properties").is_file():
        line = _log_error_line(log_path)
        raise BrokerError(
            f"formatting Kafka storage failed: {line} (full log: {log_path}; "
            f"remove {data_dir} to start from scratch)"
        )
    record.write_text(json.dumps({"kafka_version": version}) + "\n")


# ------------------------------------------------------------------------------------------ process


def _read_state(bdir: Path) -> dict | None:
    try:
        state = json.loads((bdir / _STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _write_state(bdir: Path, state: dict) -> None:
    tmp = bdir / f".{_STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(bdir / _STATE_FILE)


def _is_our_broker(pid: int, props: Path) -> bool:
    """True if ``pid`` is alive (not a zombie) and is the Kafka JVM started with ``props``."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return False
        cmdline = proc.cmdline()
    except (psutil.Error, OSError):
        return False
    return "kafka.Kafka" in cmdline and str(props) in cmdline


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)


def _find_pid(bdir: Path) -> int | None:
    """Pid of this home's running broker: from the state file, else by scanning processes."""
    props = bdir / "server.properties"
    state = _read_state(bdir)
    if state and isinstance(state.get("pid"), int) and _is_our_broker(state["pid"], props):
        return state["pid"]
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "kafka.Kafka" in cmdline and str(props) in cmdline and _is_our_broker(proc.info["pid"], props):
            return proc.info["pid"]
    return None


def _exit_code(pid: int) -> int | None:
    """Exit code if ``pid`` has exited (-1 when unknown), None while it runs."""
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll()
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return -1
    except psutil.NoSuchProcess:
        return -1
    return None


def _wait_exit(pid: int, timeout: float) -> bool:
    child = _CHILDREN.get(pid)
    try:
        if child is not None:
            child.wait(timeout)
            _CHILDREN.pop(pid, None)
        else:
            psutil.Process(pid).wait(timeout)
    except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
        return False
    except psutil.NoSuchProcess:
        pass
    return True


def _kill(pid: int, timeout: float) -> None:
    """SIGTERM (Kafka's clean shutdown), wait up to ``timeout`` s, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_exit(pid, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_exit(pid, 10)


def _log_error_line(log_path: Path) -> str:
    """The most telling error line at the end of a Kafka/JVM log."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64_000))
            lines = [ln.strip() for ln in fh.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return "(no log)"
    if not lines:
        return "(empty log)"
    for i, line in enumerate(lines[:-1]):  # JVM launcher: the reason follows this line
        if line == "Error occurred during initialization of VM":
            return f"{line}: {lines[i + 1]}"[:400]
    generic = ("Error: Could not create the Java Virtual Machine.",
               "Error: A fatal exception has occurred. Program will exit.")
    lines = [ln for ln in lines if ln not in generic] or lines
    exc = re.compile(r"^(Caused by: )?[\w.$]+(Exception|Error)(: |$)")
    for pattern in (
        re.compile(r"^Caused by: "),
        exc,
        re.compile(r"\b(ERROR|FATAL)\b"),
        re.compile(r"^(Error|Unrecognized|Invalid)", re.I),
    ):
        hits = [ln for ln in lines if pattern.search(ln)]
        if hits:
            # JVM launcher errors put the cause first ("Unrecognized VM option", then "Error: Could not...")
            line = hits[0] if pattern.pattern.startswith("^(Error") else hits[-1]
            return line[:400]
    return lines[-1][:400]


# --------------------------------------------------------------------------------------- readiness


async def _metadata_probe(bootstrap: str, request_timeout: float) -> int:
    """Send one Metadata request to the first answering ``host:port``; return the number of brokers."""
    from aiokafka.conn import create_conn
    from aiokafka.protocol.metadata import MetadataRequest

    last: Exception | None = None
    for entry in bootstrap.split(","):
        host, _, port = entry.strip().rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(host.strip("[]"), int(port), client_id="wirestream-broker-probe",
                            request_timeout_ms=int(request_timeout * 1000)),
                request_timeout,
            )
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, KafkaError, ...
            last = exc
            continue
        try:
            response = await conn.send(MetadataRequest([]))
            if response.brokers:
                return len(response.brokers)
            last = RuntimeError("metadata lists no brokers yet")
        except Exception as exc:  # noqa: BLE001
            last = exc
        finally:
            conn.close()
    raise ConnectionError(str(last) if last else "no address")


def _run_sync(coro_factory: Callable[[], object]):
    """Run a coroutine to completion from sync code, even if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


def wait_ready(bootstrap: str, timeout: float = START_TIMEOUT, *, pid: int | None = None,
               log_path: Path | None = None) -> None:
    """Block until ``bootstrap`` answers a real Kafka Metadata request listing at least one broker.

    Polls every 0.2 s. With ``pid``, fails fast (BrokerError naming ``log_path``) if that process exits.
    """
    async def poll() -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            if pid is not None:
                rc = _exit_code(pid)
                if rc is not None:
                    where = f"full log: {log_path}" if log_path else "see the broker log"
                    line = _log_error_line(log_path) if log_path else "?"
                    code = f" (exit code {rc})" if rc not in (None, -1) else ""
                    raise BrokerError(f"Kafka broker exited during startup{code}: {line}; {where}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(last)
            try:
                if _port_answers(bootstrap.split(",")[0], timeout=min(0.5, remaining)):
                    await _metadata_probe(bootstrap, request_timeout=max(0.5, min(5.0, remaining)))
                    return
                last = "connection refused"
            except (ConnectionError, OSError) as exc:
                last = str(exc) or type(exc).__name__
            await asyncio.sleep(POLL_INTERVAL)

    try:
        _run_sync(poll)
    except TimeoutError as exc:
        where = f"; see {log_path}" if log_path else ""
        raise BrokerError(
            f"Kafka broker at {bootstrap} did not answer a metadata request within {timeout:.0f} s "
            f"(last: {exc}){where}; retry with a longer --timeout"
        ) from None


# -------------------------------------------------------------------------------------- public API


def start(timeout: float = START_TIMEOUT, *, home: Path | None = None, port: int | None = None,
          version: str | None = None, echo: Echo | None = None) -> str:
    """Start the local broker (idempotent) and return its bootstrap address ``127.0.0.1:<port>``.

    Returns only once the broker answers a Metadata request. If this home's broker already runs, returns
    its address (after checking it answers). ``port`` (default ``$WIRESTREAM_BROKER_PORT``) forces the
    broker port; otherwise the previous port, then 9092, then a free one is used.
    """
    bdir = _broker_dir(home)
    bdir.mkdir(parents=True, exist_ok=True)
    props = bdir / "server.properties"
    log_path = bdir / "broker.log"
    with _file_lock(bdir / ".lock"):
        pid = _find_pid(bdir)
        if pid is not None:
            state = _read_state(bdir) or {}
            bootstrap = state.get("bootstrap") or _bootstrap_from_props(props)
            if not bootstrap:
                raise BrokerError(f"a broker (pid {pid}) runs from {bdir} but its address is unknown: "
                                  "run `wirestream broker stop` and start again")
            wait_ready(bootstrap, timeout, pid=pid, log_path=log_path)
            return bootstrap

        version = version or kafka_version()
        java = find_java()
        libs = ensure_jars(version, echo=echo)
        if port is None and os.environ.get("WIRESTREAM_BROKER_PORT"):
            try:
                port = int(os.environ["WIRESTREAM_BROKER_PORT"])
            except ValueError:
                raise BrokerError(
                    f"WIRESTREAM_BROKER_PORT={os.environ['WIRESTREAM_BROKER_PORT']!r} is not a port number: "
                    "set it to e.g. 9092 or unset it"
                ) from None
        broker_port, ctrl_port = _choose_ports(bdir, port)
        data_dir = bdir / "data"
        props.write_text(_server_properties(data_dir, broker_port, ctrl_port))
        (bdir / _PORTS_FILE).write_text(json.dumps({"port": broker_port, "controller": ctrl_port}) + "\n")
        log_opt = _logging_jvm_opt(version, bdir)
        _format_storage(java, libs, log_opt, props, data_dir, version, echo)

        if log_path.exists():
            log_path.replace(bdir / "broker.log.1")
        classpath = _classpath(libs)
        extra = shlex.split(os.environ.get("WIRESTREAM_BROKER_JVM_OPTS", ""))
        cmd = [java, *JVM_OPTS, *_fast_start_opts(java, libs, classpath, version), *extra, log_opt,
               f"-Dkafka.logs.dir={bdir}", "-cp", classpath, "kafka.Kafka", str(props)]
        if echo:
            echo(f"starting Kafka {version} broker on 127.0.0.1:{broker_port} (log: {log_path}) ...")
        with open(log_path, "ab") as log:
            child = subprocess.Popen(cmd, cwd=bdir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        _CHILDREN[child.pid] = child
        bootstrap = f"127.0.0.1:{broker_port}"
        state = {
            "pid": child.pid,
            "bootstrap": bootstrap,
            "controller": f"127.0.0.1:{ctrl_port}",
            "version": version,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "log": str(log_path),
            "data_dir": str(data_dir),
        }
        _write_state(bdir, state)
        try:
            wait_ready(bootstrap, timeout, pid=child.pid, log_path=log_path)
        except BaseException:
            _kill(child.pid, 10)
            with contextlib.suppress(OSError):
                (bdir / _STATE_FILE).unlink()
            raise
        return bootstrap


def _bootstrap_from_props(props: Path) -> str | None:
    with contextlib.suppress(OSError):
        match = re.search(r"^advertised\.listeners=PLAINTEXT://(\S+)$", props.read_text(), re.M)
        if match:
            return match.group(1)
    return None


def stop(timeout: float = STOP_TIMEOUT, *, home: Path | None = None) -> int | None:
    """Stop this home's broker: SIGTERM, wait up to ``timeout`` s, then SIGKILL. Idempotent.

    Returns the pid that was stopped, or None if no broker was running.
    """
    bdir = _broker_dir(home)
    if not bdir.is_dir():
        return None
    with _file_lock(bdir / ".lock"):
        pid = _find_pid(bdir)
        if pid is not None:
            _kill(pid, timeout)
        with contextlib.suppress(OSError):
            (bdir / _STATE_FILE).unlink()
        return pid


def status(*, home: Path | None = None) -> dict | None:
    """State of this home's running broker (pid, bootstrap, controller, version, started_at, log, ...), or
    None when it is not running."""
    bdir = _broker_dir(home)
    if not bdir.is_dir():
        return None
    pid = _find_pid(bdir)
    if pid is None:
        return None
    state = _read_state(bdir) or {}
    if state.get("pid") != pid:
        state = {"pid": pid, "bootstrap": _bootstrap_from_props(bdir / "server.properties")}
    return state


def local_bootstrap(*, home: Path | None = None) -> str | None:
    """``"127.0.0.1:<port>"`` of the running local broker if its process is alive and its port answers."""
    state = status(home=home)
    if not state or not state.get("bootstrap"):
        return None
    return state["bootstrap"] if _port_answers(state["bootstrap"]) else None


@contextlib.contextmanager
def local_broker(home: Path | None = None, *, port: int | None = None,
                 timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Start (or reuse) the local broker of ``home`` and yield its bootstrap address.

    On exit the broker is stopped only if this context started it, so a session fixture can share a broker
    the developer already runs. With a throwaway ``home``, set WIRESTREAM_KAFKA_CACHE to an existing jar
    cache (e.g. ``~/.wirestream/kafka``) so Maven does not run again.
    """
    already = status(home=home) is not None
    bootstrap = start(timeout, home=home, port=port)
    try:
        yield bootstrap
    finally:
        if not already:
            stop(home=home)


# ------------------------------------------------------------------------------------ broker URLs


def parse_broker_url(value: str) -> str:
    """``kafka://host:port[,host:port]`` (or bare ``host:port[,...]``) -> aiokafka bootstrap string.

    A missing port means 9092; each comma-separated entry may repeat the ``kafka://`` scheme; IPv6 hosts
    go in brackets (``kafka://[::1]:9092``).
    """
    text = (value or "").strip()
    if not text:
        raise BrokerError("empty broker address: use kafka://host:port")
    out = []
    for raw in text.split(","):
        entry = raw.strip()
        scheme, sep, rest = entry.partition("://")
        if sep:
            if scheme.lower() != "kafka":
                raise BrokerError(f"unsupported broker URL scheme {scheme!r} in {value!r}: use kafka://host:port")
            entry = rest
        entry = entry.rstrip("/")
        if not entry or "/" in entry or "@" in entry or "?" in entry:
            raise BrokerError(f"invalid broker address {value!r}: use kafka://host:port[,host:port]")
        if entry.startswith("["):
            host, bracket, tail = entry.partition("]")
            if not bracket or (tail and not tail.startswith(":")):
                raise BrokerError(f"invalid broker address {value!r}: write IPv6 hosts as kafka://[::1]:9092")
            host, port_text = host + "]", tail[1:]
        else:
            host, _, port_text = entry.partition(":")
            if ":" in port_text:
                raise BrokerError(f"invalid broker address {value!r}: write IPv6 hosts as kafka://[::1]:9092")
        if not host or host == "[]":
            raise BrokerError(f"invalid broker address {value!r}: missing host; use kafka://host:port")
        if not port_text:
            port = DEFAULT_PORT
        else:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise BrokerError(f"invalid port {port_text!r} in broker address {value!r}: use 1-65535")
            port = int(port_text)
        out.append(f"{host}:{port}")
    return ",".join(out)


def resolve_broker(value: str | None = None) -> str:
    """Bootstrap string for ``value`` (a --broker value), else ``$WIRESTREAM_BROKER``, else the running
    local broker; BrokerError when there is none."""
    value = value if value and value.strip() else os.environ.get("WIRESTREAM_BROKER")
    if value and value.strip():
        return parse_broker_url(value)
    bootstrap = local_bootstrap()
    if bootstrap:
        return bootstrap
    raise BrokerError(NO_BROKER_MESSAGE)
