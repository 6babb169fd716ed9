"""The Faust application: one per process, configured from the environment.

``faust -A agents.pipeline worker`` and ``wirestream worker`` both end up here.
"""

import os

import faust

import schemas.codec  # noqa: F401  (registers the orjson codec before topics are declared)
import streams.worker.faust_fixes.offsets  # noqa: F401  (never commit past a delivered, unprocessed message)
import streams.worker.faust_fixes.recovery  # noqa: F401  (table recovery must see the changelogs' real end offsets)
import streams.worker.faust_fixes.transactions  # noqa: F401  (no second begin of an open transaction after a rebalance)
from streams.client.security import client_kwargs
from streams.client.security import from_env as security_from_env
from streams.settings import Settings, home


def broker_urls() -> list[str]:
    """The brokers from $WIRESTREAM_BROKER, else the running local broker, else localhost:9092."""
    from streams.localkafka.node import local_bootstrap, parse_broker_url

    value = os.environ.get("WIRESTREAM_BROKER") or local_bootstrap() or "127.0.0.1:9092"
    return [f"kafka://{hostport}" for hostport in parse_broker_url(value).split(",")]


def _datadir():
    path = home() / "faust"
    path.mkdir(parents=True, exist_ok=True)  # a fresh $WIRESTREAM_HOME may not exist yet
    return path


class WirestreamApp(faust.App):
    async def on_first_start(self) -> None:
        """Before the consumer subscribes: every topic and changelog exists (streams/worker/declare.py)."""
        await super().on_first_start()
        from streams.localkafka.node import parse_broker_url
        from streams.worker.declare import declare_topology

        bootstrap = ",".join(parse_broker_url(str(url)) for url in self.conf.broker)
        created = await declare_topology(self, bootstrap, client_kwargs())
        if created:
            self.log.info("Created topics: %s", ", ".join(created))


def create_app(settings: Settings) -> faust.App:
    web_port = os.environ.get("WIRESTREAM_WEB_PORT")
    return WirestreamApp(
        settings.app_id,
        broker=broker_urls(),
        processing_guarantee=settings.guarantee,
        topic_partitions=settings.partitions,
        topic_replication_factor=int(os.environ.get("WIRESTREAM_REPLICATION", "1")),
        # TLS/SASL from WIRESTREAM_SECURITY_PROTOCOL & co. (streams/client/security.py); None for PLAINTEXT.
        broker_credentials=security_from_env().faust_credentials(),
        key_serializer="raw",
        value_serializer=schemas.codec.CODEC,
        datadir=str(_datadir()),
        # The join table's state is rebuilt from its changelog on restart; no RocksDB needed.
        store="memory://",
        web_enabled=bool(web_port),
        web_port=int(web_port or 6066),
        # Loopback unless told otherwise (a container publishing the port sets 0.0.0.0).
        web_host=os.environ.get("WIRESTREAM_WEB_HOST", "127.0.0.1"),
        # Faust binds every interface whatever web_host says: bind where the README says it listens.
        web_bind=os.environ.get("WIRESTREAM_WEB_HOST", "127.0.0.1"),
        # spaCy runs off the event loop, so heartbeats flow; the timeout is how long a crashed worker's
        # partitions stay unassigned (its replacement waits for the session to expire).
        broker_session_timeout=float(os.environ.get("WIRESTREAM_SESSION_TIMEOUT", "60")),
        broker_heartbeat_interval=3,
        # Under exactly-once a record is readable downstream only once its transaction commits, and an
        # article crosses three hops after raw: each waits for a commit, so Faust's default interval
        # (2.8 s) would put p50 latency near 5 s. A commit only runs when something was processed, so a
        # short interval costs CPU only at low rates, where there is CPU to spare (bench/throughput.py).
        broker_commit_interval=float(os.environ.get("WIRESTREAM_COMMIT_INTERVAL", "0.1")),
        # A few ms of linger batch the many small table-changelog records into fewer produce requests
        # (measured: -30% of the worker's non-NLP CPU at 5 ms).
        producer_linger=float(os.environ.get("WIRESTREAM_PRODUCER_LINGER", "0.005")),
        stream_wait_empty=False,
        # Under overload the backlog must wait in Kafka, not in the worker: Faust pauses fetching a
        # partition once this many of its messages are buffered (parsed records are ~50 KB each).
        stream_buffer_maxsize=int(os.environ.get("WIRESTREAM_STREAM_BUFFER", "256")),
        topic_disable_leader=True,
    )


settings = Settings.from_env()
app = create_app(settings)
