"""A local multi-node Kafka cluster on loopback (``wirestream broker start --nodes 3``), for failure tests.

Every node is a combined broker+controller with its own id (1..n), ports, ``server.properties``, data and
log under ``<home>/cluster/node-<id>/``; the controllers form one static quorum (controller.quorum.voters).
New topics default to replication factor n (3) with ``min.insync.replicas`` 2, and so do the consumer-offsets
and transaction-state topics, so acks=all writes and transactions survive the loss of one node. Clients need
``WIRESTREAM_REPLICATION=3`` too: the app and ``ensure_topics`` create topics with it.

``kill_node(i)`` SIGKILLs one node (a crash, not a clean shutdown) and ``start_node(i)`` brings it back.
``<home>/cluster/cluster.json`` keeps the cluster id and ports, so a node restarts into the same quorum.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from streams.localkafka import node as b
from streams.localkafka.errors import LocalKafkaError
from streams.settings import home as default_home

DEFAULT_NODES = 3
MIN_INSYNC = 2
_META = "cluster.json"


def cluster_dir(home: Path | None = None) -> Path:
    return (Path(home).expanduser().absolute() if home is not None else default_home()) / "cluster"


def node_dir(cdir: Path, node: int) -> Path:
    return cdir / f"node-{node}"


def _read_meta(cdir: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((cdir / _META).read_text())
        return meta if isinstance(meta, dict) else {}
    return {}


def node_properties(data_dir: Path, node: int, ports: list[list[int]]) -> str:
    """server.properties of node ``node`` (1-based); ``ports``: every node's (broker, controller) ports."""
    n = len(ports)
    isr = str(min(MIN_INSYNC, n))
    port, ctrl = ports[node - 1]
    return b.server_properties(data_dir, port, ctrl, {
        "node.id": str(node),
        "controller.quorum.bootstrap.servers": None,
        "controller.quorum.voters": ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, 1)),
        "default.replication.factor": str(n),
        "min.insync.replicas": isr,
        "offsets.topic.replication.factor": str(n),
        "transaction.state.log.replication.factor": str(n),
        "transaction.state.log.min.isr": isr,
        "share.coordinator.state.topic.replication.factor": str(n),
        "share.coordinator.state.topic.min.isr": isr,
        # A replica must never be elected leader unless it was in sync: losing a node must not lose data.
        "unclean.leader.election.enable": "false",
    })


def _choose_ports(meta: dict, nodes: int, keep: bool) -> list[list[int]]:
    """The previous ports if all are free (or ``keep``: some node still runs on them), else new ones."""
    previous = meta.get("ports")
    if isinstance(previous, list) and len(previous) == nodes:
        if keep or all(b.port_free(p) for pair in previous for p in pair):
            return previous
    taken: list[int] = []
    for _ in range(2 * nodes):
        taken.append(b.free_port(exclude=tuple(taken)))
    return [taken[i:i + 2] for i in range(0, 2 * nodes, 2)]


def _bootstrap(ports: list[list[int]]) -> str:
    return ",".join(f"127.0.0.1:{port}" for port, _ in ports)


def _node_pids(cdir: Path, nodes: int) -> dict[int, int | None]:
    return {i: b.find_pid(node_dir(cdir, i)) for i in range(1, nodes + 1)}


def _launch(cdir: Path, meta: dict, which: list[int], timeout: float, echo: b.Echo | None) -> None:
    """Write config, format (in parallel) and start the nodes ``which``; wait until all n are registered."""
    version = meta["version"]
    java = b.find_java()
    libs = b.ensure_jars(version, echo=echo)
    log_opt = b.logging_jvm_opt(version, cdir)

    def prepare(i: int) -> None:
        ndir = node_dir(cdir, i)
        ndir.mkdir(parents=True, exist_ok=True)
        props = ndir / "server.properties"
        b.write_props(props, node_properties(ndir / "data", i, meta["ports"]))
        b.format_storage(java, libs, log_opt, props, ndir / "data", version, None, quorum_args=(),
                          cluster_id=meta["cluster_id"])

    if echo:
        names = ", ".join(map(str, which))
        echo(f"starting Kafka {version} node{'s' if len(which) > 1 else ''} {names} in {cdir} ...")
    with concurrent.futures.ThreadPoolExecutor(len(which)) as pool:
        list(pool.map(prepare, which))
    children = {}
    for i in which:
        ndir = node_dir(cdir, i)
        props, log = ndir / "server.properties", ndir / "broker.log"
        children[i] = b.spawn(java, libs, version, log_opt, ndir, props, log)
        b.write_state(ndir, {"pid": children[i].pid, "node": i})
    watch = [(child.pid, node_dir(cdir, i) / "broker.log") for i, child in children.items()]
    try:
        for i in which:  # each started node answers, and sees every node registered
            port = meta["ports"][i - 1][0]
            b.wait_ready(f"127.0.0.1:{port}", timeout, brokers=len(meta["ports"]), watch=watch)
    except BaseException:
        for child in children.values():
            b.kill_process(child.pid, 10)
        raise


def start(nodes: int = DEFAULT_NODES, timeout: float = 2 * b.START_TIMEOUT, *, home: Path | None = None,
          version: str | None = None, echo: b.Echo | None = None) -> str:
    """Start the local ``nodes``-node cluster (idempotent: starts only the nodes that are down) and return its
    bootstrap list ``127.0.0.1:p1,127.0.0.1:p2,...`` once every node answers and all are registered."""
    if nodes < 2:
        raise LocalKafkaError(f"a cluster needs at least 2 nodes, not {nodes}: use `wirestream broker start`")
    cdir = cluster_dir(home)
    cdir.mkdir(parents=True, exist_ok=True)
    with b.file_lock(cdir / ".lock"):
        meta = _read_meta(cdir)
        if meta.get("ports") and len(meta["ports"]) != nodes:
            raise LocalKafkaError(f"{cdir} holds a {len(meta['ports'])}-node cluster: start it with --nodes "
                                f"{len(meta['ports'])}, or stop it and remove {cdir} (its topics are lost)")
        pids = _node_pids(cdir, nodes)
        down = [i for i, pid in pids.items() if pid is None]
        meta["ports"] = _choose_ports(meta, nodes, keep=len(down) < nodes)
        meta.setdefault("cluster_id", b.new_cluster_id())
        meta["version"] = meta.get("version") or version or b.kafka_version()
        if down:
            if len(down) == nodes:
                meta["started_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            (cdir / _META).write_text(json.dumps(meta, indent=2) + "\n")
            _launch(cdir, meta, down, timeout, echo)
        else:
            b.wait_ready(_bootstrap(meta["ports"]), timeout, brokers=nodes)
        return _bootstrap(meta["ports"])


def _node_index(cdir: Path, node: int) -> dict:
    meta = _read_meta(cdir)
    if not meta.get("ports"):
        raise LocalKafkaError(f"no local cluster in {cdir}: run `wirestream broker start --nodes 3`")
    if not 1 <= node <= len(meta["ports"]):
        raise LocalKafkaError(f"no node {node}: the cluster has nodes 1-{len(meta['ports'])}")
    return meta


def kill_node(node: int, *, home: Path | None = None) -> int | None:
    """SIGKILL node ``node`` (a crash: no controlled shutdown). Returns its pid, or None if it was down."""
    cdir = cluster_dir(home)
    _node_index(cdir, node)
    pid = b.find_pid(node_dir(cdir, node))
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        b.wait_exit(pid, 10)
    return pid


def start_node(node: int, timeout: float = b.START_TIMEOUT, *, home: Path | None = None,
               echo: b.Echo | None = None) -> str:
    """Start node ``node`` again on its old ports (no-op if it runs); return its own ``127.0.0.1:port``."""
    cdir = cluster_dir(home)
    with b.file_lock(cdir / ".lock"):
        meta = _node_index(cdir, node)
        if b.find_pid(node_dir(cdir, node)) is None:
            _launch(cdir, meta, [node], timeout, echo)
        return f"127.0.0.1:{meta['ports'][node - 1][0]}"


def stop(timeout: float = b.STOP_TIMEOUT, *, home: Path | None = None) -> list[int]:
    """Stop every node (SIGTERM all at once, SIGKILL after ``timeout``); return the pids that were stopped."""
    cdir = cluster_dir(home)
    meta = _read_meta(cdir)
    if not meta.get("ports"):
        return []
    with b.file_lock(cdir / ".lock"):
        pids = [pid for pid in _node_pids(cdir, len(meta["ports"])).values() if pid is not None]
        for pid in pids:  # all at once: a node waiting for a controller that is already gone would stall
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        with concurrent.futures.ThreadPoolExecutor(max(1, len(pids))) as pool:
            list(pool.map(lambda pid: b.kill_process(pid, timeout), pids))
        return pids


def status(*, home: Path | None = None) -> dict | None:
    """The cluster's bootstrap list and per-node state (id, pid or None, bootstrap, controller, log), or None
    when no node runs."""
    cdir = cluster_dir(home)
    meta = _read_meta(cdir)
    if not meta.get("ports"):
        return None
    pids = _node_pids(cdir, len(meta["ports"]))
    if not any(pids.values()):
        return None
    nodes = [{"id": i, "pid": pids[i], "bootstrap": f"127.0.0.1:{port}", "controller": f"127.0.0.1:{ctrl}",
              "log": str(node_dir(cdir, i) / "broker.log")}
             for i, (port, ctrl) in enumerate(meta["ports"], 1)]
    return {"bootstrap": _bootstrap(meta["ports"]), "version": meta.get("version"),
            "started_at": meta.get("started_at"), "nodes": nodes}


@contextlib.contextmanager
def local_cluster(home: Path | None = None, *, nodes: int = DEFAULT_NODES,
                  timeout: float = 2 * b.START_TIMEOUT) -> Iterator[str]:
    """Start (or reuse) the ``nodes``-node cluster of ``home`` and yield its bootstrap list; stop it on exit
    only if this context started it. Point WIRESTREAM_KAFKA_CACHE at an existing jar cache for a new home."""
    already = status(home=home) is not None
    bootstrap = start(nodes, timeout, home=home)
    try:
        yield bootstrap
    finally:
        if not already:
            stop(home=home)
