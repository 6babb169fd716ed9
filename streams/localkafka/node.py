"""Local single-node Apache Kafka broker (KRaft, combined broker+controller) without Docker.

The broker's jars come from Maven Central (streams/localkafka/jvm.py): ``kafka/pom.xml`` is resolved
once with ``mvn dependency:copy-dependencies`` into ``<jar cache>/libs-<version>`` (Maven's own ``~/.m2``
cache is reused), storage is formatted once under ``<home>/broker/data`` (topics survive stop/start) and the
JVM runs detached in its own session, logging to ``<home>/broker/broker.log``. ``<home>/broker/state.json``
records ``pid``, ``bootstrap``, ``controller``, ``version`` and ``started_at`` so that other commands can
find the running broker (:func:`local_bootstrap`).

``start(secure=True)`` adds a SASL_SSL listener (streams/localkafka/secure.py); a multi-node cluster for
failure
tests is streams/localkafka/cluster.py, which reuses this module's process helpers.

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
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psutil

from streams.localkafka.jvm import (
    _KAFKA_DIR,
    Echo,
    LocalKafkaError,
    _fast_start_opts,
    _hotspot,
    classpath,
    ensure_jars,
    file_lock,
    find_java,
    kafka_version,
    logging_profile,
)
from streams.settings import get_settings, home

HEAP = "512m"
DEFAULT_PORT = 9092
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 0.2

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

NODE_ID = 1

_STATE_FILE = "state.json"
_PORTS_FILE = "ports.json"
_FORMAT_RECORD = "wirestream-format.json"

# Broker processes spawned by this Python process (so stop() can reap them: no zombies, no ResourceWarning).
_CHILDREN: dict[int, subprocess.Popen] = {}


# --------------------------------------------------------------------------------------------- paths


def _broker_dir(base: Path | None) -> Path:
    return (Path(base).expanduser().absolute() if base is not None else home()) / "broker"


# --------------------------------------------------------------------------------------------- ports


def port_free(port: int, host: str = "127.0.0.1") -> bool:
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
    raise LocalKafkaError("cannot find a free TCP port on 127.0.0.1: free some ports and retry")


def _choose_ports(bdir: Path, forced: int | None) -> tuple[int, int]:
    previous: dict = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads((bdir / _PORTS_FILE).read_text())
    prev_port, prev_ctrl = previous.get("port"), previous.get("controller")
    if forced is not None:
        if not 0 < forced < 65536:
            raise LocalKafkaError(f"invalid broker port {forced}: use 1-65535 "
                                  "(WIRESTREAM_BROKER_PORT / --port)")
        if not port_free(forced):
            raise LocalKafkaError(
                f"port {forced} (WIRESTREAM_BROKER_PORT / --port) is already in use: choose another port or "
                "unset it to let wirestream pick one"
            )
        port = forced
    else:
        candidates = [p for p in (prev_port, DEFAULT_PORT) if isinstance(p, int)]
        port = next((p for p in candidates if port_free(p)), None) or free_port()
    ctrl_candidates = [p for p in (prev_ctrl, port + 1, DEFAULT_PORT + 1) if isinstance(p, int) and p != port]
    ctrl = next((p for p in ctrl_candidates if p < 65536 and port_free(p)), None)
    return port, ctrl or free_port(exclude=(port,))


def _previous_ports(bdir: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads((bdir / _PORTS_FILE).read_text())
        return previous if isinstance(previous, dict) else {}
    return {}


def _choose_secure_port(bdir: Path, taken: tuple[int, ...]) -> int:
    previous = _previous_ports(bdir).get("secure")
    if isinstance(previous, int) and previous not in taken and port_free(previous):
        return previous
    return free_port(exclude=taken)


def port_answers(bootstrap: str, timeout: float = 0.5) -> bool:
    host, _, port = bootstrap.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------------------------ broker config


def server_properties(data_dir: Path, port: int, ctrl: int, overrides: dict | None = None) -> str:
    """server.properties of a single combined node; ``overrides`` adds entries (a None value drops one)."""
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
    for key, value in (overrides or {}).items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
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


def logging_jvm_opt(version: str, bdir: Path) -> str:
    if logging_profile(version) == "log4j2":
        return f"-Dlog4j2.configurationFile={_KAFKA_DIR / 'log4j2.yaml'}"
    path = bdir / "log4j.properties"
    path.write_text(_LOG4J_PROPERTIES)
    return f"-Dlog4j.configuration=file:{path}"


def new_cluster_id() -> str:
    """A random id in Kafka's format. Like Kafka's Uuid.randomUuid, never one starting with "-": the
    storage tool would read it as an option (1 run in 64 failed to format)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def format_storage(
    java: str, libs: Path, log_opt: str, props: Path, data_dir: Path, version: str, echo: Echo | None,
    *, quorum_args: tuple[str, ...] = ("--standalone",), cluster_id: str | None = None,
    extra_args: tuple[str, ...] = (), record_extra: dict | None = None,
) -> None:
    """Format ``data_dir`` once. ``quorum_args``: ``--standalone`` for one node, () with static voters;
    ``extra_args`` e.g. ``--add-scram`` (never logged: format.log gets the tool's output only)."""
    record = data_dir / _FORMAT_RECORD
    if (data_dir / "meta.properties").is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            formatted = json.loads(record.read_text()).get("kafka_version")
            if formatted and _version_tuple(formatted) > _version_tuple(version):
                raise LocalKafkaError(
                    f"{data_dir} holds Kafka {formatted} data, which Kafka {version} cannot read: "
                    f"set WIRESTREAM_KAFKA_VERSION={formatted}, or remove {data_dir} (its topics are lost)"
                )
        return
    if echo:
        echo(f"formatting Kafka storage in {data_dir} ...")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = props.parent / "format.log"
    fast = ["-XX:TieredStopAtLevel=1"] if _hotspot(java) else []
    cmd = [java, "-Xmx256m", *fast, log_opt, "-cp", classpath(libs), "kafka.tools.StorageTool", "format",
           "-t", cluster_id or new_cluster_id(), "-c", str(props), *quorum_args, *extra_args,
           "--ignore-formatted"]
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=300)
    if proc.returncode != 0 or not (data_dir / "meta.properties").is_file():
        line = _log_error_line(log_path)
        raise LocalKafkaError(
            f"formatting Kafka storage failed: {line} (full log: {log_path}; "
            f"remove {data_dir} to start from scratch)"
        )
    record.write_text(json.dumps({"kafka_version": version, **(record_extra or {})}) + "\n")


def _format_record(data_dir: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        record = json.loads((data_dir / _FORMAT_RECORD).read_text())
        return record if isinstance(record, dict) else {}
    return {}


# ------------------------------------------------------------------------------------------ process


def _read_state(bdir: Path) -> dict | None:
    try:
        state = json.loads((bdir / _STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_state(bdir: Path, state: dict) -> None:
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


def find_pid(bdir: Path) -> int | None:
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


def wait_exit(pid: int, timeout: float) -> bool:
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


def kill_process(pid: int, timeout: float) -> None:
    """SIGTERM (Kafka's clean shutdown), wait up to ``timeout`` s, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_exit(pid, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_exit(pid, 10)


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
               log_path: Path | None = None, brokers: int = 1,
               watch: list[tuple[int, Path]] | None = None) -> None:
    """Block until ``bootstrap`` answers a real Kafka Metadata request listing at least ``brokers`` brokers.

    Polls every 0.2 s. With ``pid`` (or several ``watch`` pairs of pid and log), fails fast (LocalKafkaError
    naming the log) if that process exits.
    """
    watched = [(pid, log_path)] if pid is not None else []
    watched += watch or []

    async def poll() -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            for wpid, wlog in watched:
                rc = _exit_code(wpid)
                if rc is not None:
                    where = f"full log: {wlog}" if wlog else "see the broker log"
                    line = _log_error_line(wlog) if wlog else "?"
                    code = f" (exit code {rc})" if rc not in (None, -1) else ""
                    raise LocalKafkaError(f"Kafka broker exited during startup{code}: {line}; {where}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(last)
            try:
                if port_answers(bootstrap.split(",")[0], timeout=min(0.5, remaining)):
                    seen = await _metadata_probe(bootstrap, request_timeout=max(0.5, min(5.0, remaining)))
                    if seen >= brokers:
                        return
                    last = f"metadata lists {seen} of {brokers} brokers"
                else:
                    last = "connection refused"
            except (ConnectionError, OSError) as exc:
                last = str(exc) or type(exc).__name__
            await asyncio.sleep(POLL_INTERVAL)

    try:
        _run_sync(poll)
    except TimeoutError as exc:
        where = f"; see {log_path}" if log_path else ""
        raise LocalKafkaError(
            f"Kafka broker at {bootstrap} did not answer a metadata request within {timeout:.0f} s "
            f"(last: {exc}){where}; retry with a longer --timeout"
        ) from None


# -------------------------------------------------------------------------------------- public API


def spawn(java: str, libs: Path, version: str, log_opt: str, bdir: Path, props: Path,
           log_path: Path) -> subprocess.Popen:
    """Launch one Kafka JVM for ``props`` detached in its own session, logging to ``log_path``."""
    if log_path.exists():
        log_path.replace(log_path.with_name(log_path.name + ".1"))
    cp = classpath(libs)
    extra = shlex.split(get_settings().broker_jvm_opts or "")
    cmd = [java, *JVM_OPTS, *_fast_start_opts(java, libs, cp, version), *extra, log_opt,
           f"-Dkafka.logs.dir={bdir}", "-cp", cp, "kafka.Kafka", str(props)]
    with open(log_path, "ab") as log:
        child = subprocess.Popen(cmd, cwd=bdir, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    _CHILDREN[child.pid] = child
    return child


def write_props(props: Path, text: str) -> None:
    """server.properties is 0600: with ``--secure`` it holds PLAIN's password list."""
    props.unlink(missing_ok=True)
    fd = os.open(props, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def start(timeout: float = START_TIMEOUT, *, home: Path | None = None, port: int | None = None,
          version: str | None = None, echo: Echo | None = None, secure: bool = False) -> str:
    """Start the local broker (idempotent) and return its bootstrap address ``127.0.0.1:<port>``.

    Returns only once the broker answers a Metadata request. If this home's broker already runs, returns
    its address (after checking it answers). ``port`` (default ``$WIRESTREAM_BROKER_PORT``) forces the
    broker port; otherwise the previous port, then 9092, then a free one is used. ``secure`` adds a
    SASL_SSL listener (see streams/localkafka/secure.py); its address is ``status()["secure_bootstrap"]``.
    """
    from streams.localkafka import secure as sec

    bdir = _broker_dir(home)
    bdir.mkdir(parents=True, exist_ok=True)
    props = bdir / "server.properties"
    log_path = bdir / "broker.log"
    with file_lock(bdir / ".lock"):
        pid = find_pid(bdir)
        if pid is not None:
            state = _read_state(bdir) or {}
            bootstrap = state.get("bootstrap") or _bootstrap_from_props(props)
            if not bootstrap:
                raise LocalKafkaError(f"a broker (pid {pid}) runs from {bdir} but its address is unknown: "
                                  "run `wirestream broker stop` and start again")
            if secure and not state.get("secure_bootstrap"):
                raise LocalKafkaError(f"the broker (pid {pid}) runs without --secure: run "
                                  "`wirestream broker stop`, then `wirestream broker start --secure`")
            wait_ready(bootstrap, timeout, pid=pid, log_path=log_path)
            return bootstrap

        version = version or kafka_version()
        java = find_java()
        libs = ensure_jars(version, echo=echo)
        if port is None:
            port = get_settings().broker_port
        broker_port, ctrl_port = _choose_ports(bdir, port)
        ports = {"port": broker_port, "controller": ctrl_port}
        data_dir = bdir / "data"
        # SCRAM credentials can only be written into a fresh KRaft store, so every store gets them; the
        # listener that accepts them exists only with --secure.
        password = sec.ensure_password(bdir)
        overrides, secure_state = None, {}
        if secure:
            if (data_dir / "meta.properties").is_file():
                sec.check_store(bdir, data_dir, _format_record(data_dir), password)
            ports["secure"] = _choose_secure_port(bdir, (broker_port, ctrl_port))
            ca_path, keystore = sec.ensure_tls(bdir)
            overrides = sec.server_overrides(broker_port, ports["secure"], ctrl_port, keystore, password)
            env_path = sec.write_client_env(bdir, f"127.0.0.1:{ports['secure']}", ca_path)
            secure_state = sec.state_entries(bdir, ports["secure"], ca_path, env_path)
        write_props(props, server_properties(data_dir, broker_port, ctrl_port, overrides))
        (bdir / _PORTS_FILE).write_text(json.dumps({**_previous_ports(bdir), **ports}) + "\n")
        log_opt = logging_jvm_opt(version, bdir)
        format_storage(java, libs, log_opt, props, data_dir, version, echo,
                        extra_args=tuple(sec.scram_format_args(password)),
                        record_extra={"scram_user": sec.SCRAM_USER,
                                      "password_sha256": sec.fingerprint(password)})

        if echo:
            echo(f"starting Kafka {version} broker on 127.0.0.1:{broker_port} (log: {log_path}) ...")
        child = spawn(java, libs, version, log_opt, bdir, props, log_path)
        bootstrap = f"127.0.0.1:{broker_port}"
        state = {
            "pid": child.pid,
            "bootstrap": bootstrap,
            "controller": f"127.0.0.1:{ctrl_port}",
            "version": version,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "log": str(log_path),
            "data_dir": str(data_dir),
            **secure_state,
        }
        write_state(bdir, state)
        try:
            wait_ready(bootstrap, timeout, pid=child.pid, log_path=log_path)
        except BaseException:
            kill_process(child.pid, 10)
            with contextlib.suppress(OSError):
                (bdir / _STATE_FILE).unlink()
            raise
        return bootstrap


def _bootstrap_from_props(props: Path) -> str | None:
    with contextlib.suppress(OSError):
        match = re.search(r"^advertised\.listeners=PLAINTEXT://([^,\s]+)", props.read_text(), re.M)
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
    with file_lock(bdir / ".lock"):
        pid = find_pid(bdir)
        if pid is not None:
            kill_process(pid, timeout)
        with contextlib.suppress(OSError):
            (bdir / _STATE_FILE).unlink()
        return pid


def status(*, home: Path | None = None) -> dict | None:
    """State of this home's running broker (pid, bootstrap, controller, version, started_at, log, ...), or
    None when it is not running."""
    bdir = _broker_dir(home)
    if not bdir.is_dir():
        return None
    pid = find_pid(bdir)
    if pid is None:
        return None
    state = _read_state(bdir) or {}
    if state.get("pid") != pid:
        state = {"pid": pid, "bootstrap": _bootstrap_from_props(bdir / "server.properties")}
    return state


@contextlib.contextmanager
def local_broker(home: Path | None = None, *, port: int | None = None,
                 timeout: float = START_TIMEOUT, secure: bool = False) -> Iterator[str]:
    """Start (or reuse) the local broker of ``home`` and yield its bootstrap address.

    On exit the broker is stopped only if this context started it, so a session fixture can share a broker
    the developer already runs. With a throwaway ``home``, set WIRESTREAM_KAFKA_CACHE to an existing jar
    cache (e.g. ``~/.wirestream/kafka``) so Maven does not run again.
    """
    already = status(home=home) is not None
    bootstrap = start(timeout, home=home, port=port, secure=secure)
    try:
        yield bootstrap
    finally:
        if not already:
            stop(home=home)
