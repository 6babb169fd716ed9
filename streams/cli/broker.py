"""`wirestream broker start|stop|status|kill-node|start-node`: the local Kafka broker (streams/localkafka/),
optionally with a SASL_SSL listener (streams/localkafka/secure.py), or a local multi-node cluster
(streams/localkafka/cluster.py)."""

from __future__ import annotations

import sys

import click

from streams.cli.errors import fail, user_errors
from streams.localkafka import cluster as _cluster
from streams.localkafka import node as _broker
from streams.localkafka.errors import LocalKafkaError

EXIT_STOPPED = 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group("broker")
def broker() -> None:
    """Run a local Apache Kafka broker or cluster (KRaft, no Docker) for development and tests.

    State lives in $WIRESTREAM_HOME (default ~/.wirestream): jars in kafka/, data and broker.log in broker/,
    the --nodes cluster in cluster/node-<id>/.
    """


@broker.command("start")
@click.option("--timeout", type=float, default=None,
              help=f"Seconds to wait for the broker to answer [default: {_broker.START_TIMEOUT:.0f}, "
                   f"{2 * _broker.START_TIMEOUT:.0f} for a cluster].")
@click.option("--port", type=click.IntRange(1, 65535), default=None, envvar="WIRESTREAM_BROKER_PORT",
              help="Broker port [default: previous port, else 9092, else a free port; "
                   "env WIRESTREAM_BROKER_PORT].")
@click.option("--nodes", type=click.IntRange(1, 9), default=1, show_default=True,
              help="Run a cluster of this many broker+controller nodes on loopback (replication factor N, "
                   "min.insync.replicas 2); clients then need WIRESTREAM_REPLICATION=N.")
@click.option("--secure", is_flag=True,
              help="Add a SASL_SSL listener (SCRAM-SHA-256/512, PLAIN) with a throwaway CA; "
                   "`status` shows its address and where the CA and credentials are.")
def start_cmd(timeout: float | None, port: int | None, nodes: int, secure: bool) -> None:
    """Start the broker (idempotent) and print its bootstrap address host:port[,host:port...]."""
    try:
        if nodes > 1:
            if secure or port is not None:
                raise LocalKafkaError("--secure and --port are for the single-node broker: drop them "
                                      "with --nodes (cluster ports are chosen freely)")
            bootstrap = _cluster.start(nodes, timeout or 2 * _broker.START_TIMEOUT, echo=_progress)
            # The app and `produce` create topics with WIRESTREAM_REPLICATION (default 1), not the broker's.
            _progress(f"clients: WIRESTREAM_BROKER=kafka://{bootstrap} WIRESTREAM_REPLICATION={nodes}")
        else:
            bootstrap = _broker.start(timeout or _broker.START_TIMEOUT, port=port, echo=_progress,
                                      secure=secure)
    except user_errors() as exc:
        fail(str(exc))
    click.echo(bootstrap)


@broker.command("stop")
@click.option("--timeout", type=float, default=_broker.STOP_TIMEOUT, show_default=True,
              help="Seconds to wait for a clean shutdown before SIGKILL.")
def stop_cmd(timeout: float) -> None:
    """Stop the broker and every cluster node (idempotent); topics and data are kept."""
    try:
        pid = _broker.stop(timeout)
        pids = _cluster.stop(timeout)
    except user_errors() as exc:
        fail(str(exc))
    if pid:
        click.echo(f"stopped (pid {pid})")
    if pids:
        click.echo(f"stopped cluster (pids {', '.join(map(str, pids))})")
    if not pid and not pids:
        click.echo("not running")


def status_lines(single: dict | None, cluster: dict | None) -> list[str]:
    """Human-readable status: the single broker (with its secure listener), then each cluster node."""
    lines = []
    if single:
        parts = [f"pid={single.get('pid')}", f"bootstrap={single.get('bootstrap')}"]
        for key in ("version", "started_at", "log"):
            if single.get(key):
                parts.append(f"{key}={single[key]}")
        lines.append("running " + " ".join(parts))
        if single.get("secure_bootstrap"):
            lines.append(
                f"secure {single['security_protocol']} bootstrap={single['secure_bootstrap']} "
                f"mechanisms={','.join(single['sasl_mechanisms'])} user={single['sasl_username']} "
                f"password_file={single['password_file']} cafile={single['cafile']} "
                f"client_env={single['client_env']}")
    if cluster:
        up = sum(1 for n in cluster["nodes"] if n["pid"])
        lines.append(f"cluster {up}/{len(cluster['nodes'])} nodes running bootstrap={cluster['bootstrap']} "
                     f"version={cluster.get('version')}")
        for node in cluster["nodes"]:
            state = f"running pid={node['pid']}" if node["pid"] else "stopped"
            lines.append(f"  node {node['id']}: {state} bootstrap={node['bootstrap']} log={node['log']}")
    return lines


@broker.command("status")
def status_cmd() -> None:
    """Print running/stopped (every node of a cluster); exit 0 if anything runs, 3 if stopped."""
    lines = status_lines(_broker.status(), _cluster.status())
    if not lines:
        click.echo("stopped")
        sys.exit(EXIT_STOPPED)
    click.echo("\n".join(lines))


@broker.command("kill-node")
@click.argument("node", type=int)
def kill_node_cmd(node: int) -> None:
    """SIGKILL one node of the local cluster (a crash, for failure tests)."""
    try:
        pid = _cluster.kill_node(node)
    except user_errors() as exc:
        fail(str(exc))
    click.echo(f"killed node {node} (pid {pid})" if pid else f"node {node} was not running")


@broker.command("start-node")
@click.argument("node", type=int)
@click.option("--timeout", type=float, default=_broker.START_TIMEOUT, show_default=True)
def start_node_cmd(node: int, timeout: float) -> None:
    """Start one node of the local cluster again (after kill-node); print its address."""
    try:
        click.echo(_cluster.start_node(node, timeout, echo=_progress))
    except user_errors() as exc:
        fail(str(exc))
