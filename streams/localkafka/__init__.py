"""The local Apache Kafka that wirestream assembles from Maven Central and runs itself, as one object.

:class:`LocalKafka` is the local broker of one ``$WIRESTREAM_HOME``: a single KRaft node (node.py) or a
cluster of nodes for failure tests (cluster.py), its jars and JVM (jvm.py), and its SASL_SSL listener
(secure.py). ``wirestream broker ...`` (streams/cli/broker.py) and the tests drive it; clients only ask
:func:`local_bootstrap` where it listens.
"""

from __future__ import annotations

from pathlib import Path

from streams.localkafka import cluster, node
from streams.localkafka.errors import LocalKafkaError
from streams.settings import get_settings

__all__ = ["LocalKafka", "LocalKafkaError", "local_bootstrap"]


def local_bootstrap(*, home: Path | None = None) -> str | None:
    """``"127.0.0.1:<port>"`` of the running local broker if its process is alive and its port answers.

    Its SASL_SSL address when WIRESTREAM_SECURITY_PROTOCOL=SASL_SSL and it runs with ``--secure``; the local
    cluster's bootstrap list (``wirestream broker start --nodes 3``) when no single broker runs.
    """
    state = node.status(home=home)
    if not state or not state.get("bootstrap"):
        running = cluster.status(home=home)
        live = [n["bootstrap"] for n in (running or {}).get("nodes", []) if n.get("pid")]
        return ",".join(live) if live and any(node.port_answers(b) for b in live) else None
    key = "bootstrap"
    if (get_settings().security_protocol or "").upper() == "SASL_SSL":
        key = "secure_bootstrap" if state.get("secure_bootstrap") else key
    return state[key] if node.port_answers(state[key]) else None


class LocalKafka:
    """The local broker (one node, or ``nodes`` of a cluster) kept under ``home`` ($WIRESTREAM_HOME)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home

    def start(self, *, nodes: int = 1, **options) -> str:
        """Start it (idempotent) and return its bootstrap address once it answers."""
        if nodes > 1:
            return cluster.start(nodes, home=self.home, **options)
        return node.start(home=self.home, **options)

    def stop(self) -> list[int]:
        """Stop whatever runs (single node and cluster nodes); the pids stopped."""
        single = node.stop(home=self.home)
        return ([single] if single else []) + cluster.stop(home=self.home)

    def status(self) -> dict | None:
        """The single node's state, else the cluster's, else None when nothing runs."""
        return node.status(home=self.home) or cluster.status(home=self.home)

    def bootstrap(self) -> str | None:
        return local_bootstrap(home=self.home)

    def kill_node(self, index: int) -> int | None:
        return cluster.kill_node(index, home=self.home)

    def start_node(self, index: int, **options) -> str:
        return cluster.start_node(index, home=self.home, **options)
