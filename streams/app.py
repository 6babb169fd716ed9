"""The Faust application: one per process, configured from the environment.

``faust -A agents.pipeline worker`` and ``wirestream worker`` both end up here.
"""

import os

import faust

import schemas.codec  # noqa: F401  (registers the orjson codec before topics are declared)
from streams.config import Settings, home


def broker_urls() -> list[str]:
    """The brokers from $WIRESTREAM_BROKER, else the running local broker, else localhost:9092."""
    from streams.broker import local_bootstrap, parse_broker_url

    value = os.environ.get("WIRESTREAM_BROKER") or local_bootstrap() or "127.0.0.1:9092"
    return [f"kafka://{hostport}" for hostport in parse_broker_url(value).split(",")]


def create_app(settings: Settings) -> faust.App:
    web_port = os.environ.get("WIRESTREAM_WEB_PORT")
    return faust.App(
        settings.app_id,
        broker=broker_urls(),
        processing_guarantee=settings.guarantee,
        topic_partitions=settings.partitions,
        topic_replication_factor=int(os.environ.get("WIRESTREAM_REPLICATION", "1")),
        key_serializer="raw",
        value_serializer=schemas.codec.CODEC,
        datadir=str(home() / "faust"),
        # The join table's state is rebuilt from its changelog on restart; no RocksDB needed.
        store="memory://",
        web_enabled=bool(web_port),
        web_port=int(web_port or 6066),
        web_host="127.0.0.1",
        # spaCy batches can take a few seconds; do not let the broker think we died.
        broker_session_timeout=60,
        broker_heartbeat_interval=3,
        stream_wait_empty=False,
        topic_disable_leader=True,
    )


settings = Settings.from_env()
app = create_app(settings)
