"""The Faust application, built by :func:`create_app` (nothing at import time), and the worker's whole
topology on it (:func:`worker_app`).

``faust -A agents.pipeline worker`` and ``wirestream worker`` both end up in :func:`worker_app`.
"""

from __future__ import annotations

import faust

from agents import pipeline
from agents.tables import Tables
from schemas.codec import CODEC
from streams.client.address import parse_broker_url
from streams.client.security import ClientSecurity, client_kwargs
from streams.client.security import from_env as security_from_env
from streams.settings import Settings, get_settings
from streams.worker import codec, faust_fixes, web
from streams.worker.topics import Topics


def broker_urls(settings: Settings) -> list[str]:
    """The brokers from $WIRESTREAM_BROKER, else the running local broker, else localhost:9092."""
    from streams.localkafka import local_bootstrap

    value = settings.broker or local_bootstrap() or "127.0.0.1:9092"
    return [f"kafka://{hostport}" for hostport in parse_broker_url(value).split(",")]


def faust_credentials(security: ClientSecurity):
    """``broker_credentials`` for faust.App from the client's security settings (None for PLAINTEXT)."""
    if security.sasl:
        return faust.SASLCredentials(username=security.username, password=security.password,
                                     mechanism=security.mechanism, ssl_context=security.ssl_context())
    if security.tls:
        return faust.SSLCredentials(security.ssl_context())
    return None


def _datadir(settings: Settings):
    path = settings.home / "faust"
    path.mkdir(parents=True, exist_ok=True)  # a fresh $WIRESTREAM_HOME may not exist yet
    return path


class WirestreamApp(faust.App):
    async def on_first_start(self) -> None:
        """Before the consumer subscribes: every topic and changelog exists (streams/worker/declare.py)."""
        await super().on_first_start()
        from streams.worker.declare import declare_topology

        bootstrap = ",".join(parse_broker_url(str(url)) for url in self.conf.broker)
        created = await declare_topology(self, bootstrap, client_kwargs())
        if created:
            self.log.info("Created topics: %s", ", ".join(created))


def create_app(settings: Settings | None = None) -> WirestreamApp:
    """A Faust app configured from ``settings``, with our Faust fixes and the orjson codec installed."""
    settings = settings or get_settings()
    faust_fixes.apply()
    codec.register()
    return WirestreamApp(
        settings.app_id,
        broker=broker_urls(settings),
        processing_guarantee=settings.guarantee,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        # TLS/SASL from WIRESTREAM_SECURITY_PROTOCOL & co. (streams/client/security.py); None for PLAINTEXT.
        broker_credentials=faust_credentials(security_from_env()),
        key_serializer="raw",
        value_serializer=CODEC,
        datadir=str(_datadir(settings)),
        # The join table's state is rebuilt from its changelog on restart; no RocksDB needed.
        store="memory://",
        web_enabled=settings.web_port is not None,
        web_port=settings.web_port or 6066,
        # Loopback unless told otherwise (a container publishing the port sets 0.0.0.0).
        web_host=settings.web_host,
        # Faust binds every interface whatever web_host says: bind where the README says it listens.
        web_bind=settings.web_host,
        # spaCy runs off the event loop, so heartbeats flow; the timeout is how long a crashed worker's
        # partitions stay unassigned (its replacement waits for the session to expire).
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=3,
        # Under exactly-once a record is readable downstream only once its transaction commits, and an
        # article crosses three hops after raw: each waits for a commit, so Faust's default interval
        # (2.8 s) would put p50 latency near 5 s. A commit only runs when something was processed, so a
        # short interval costs CPU only at low rates, where there is CPU to spare (bench/throughput.py).
        broker_commit_interval=settings.commit_interval,
        # A few ms of linger batch the many small table-changelog records into fewer produce requests
        # (measured: -30% of the worker's non-NLP CPU at 5 ms).
        producer_linger=settings.producer_linger,
        stream_wait_empty=False,
        # Under overload the backlog must wait in Kafka, not in the worker: Faust pauses fetching a
        # partition once this many of its messages are buffered (parsed records are ~50 KB each).
        stream_buffer_maxsize=settings.stream_buffer,
        topic_disable_leader=True,
    )



def worker_app(settings: Settings | None = None) -> pipeline.Wiring:
    """The app with every topic, table, agent and web view of the worker declared on it."""
    settings = settings or get_settings()
    app = create_app(settings)
    topics = Topics.declare(app, settings.topic_prefix)
    tables = Tables.declare(app, settings.partitions)
    wiring = pipeline.register(app, topics, tables, settings)
    web.register(app, topics, tables.trends, settings, wiring.recent)
    return wiring
