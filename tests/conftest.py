"""Shared fixtures. Broker tests use a real Kafka broker: $WIRESTREAM_BROKER (as CI starts it), or a
local one started once for the session and stopped at its end."""

import asyncio
import os
import uuid

import pytest

from tests.support import SEED

# Every test session gets its own topics and consumer group, so runs never see each other's records.
RUN = uuid.uuid4().hex[:8]
os.environ.setdefault("WIRESTREAM_TOPIC_PREFIX", f"test-{RUN}.")
os.environ.setdefault("WIRESTREAM_APP_ID", f"wirestream-test-{RUN}")


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture(scope="session")
def bootstrap():
    from streams.client.address import parse_broker_url
    from streams.localkafka.node import local_broker

    given = os.environ.get("WIRESTREAM_BROKER")
    if given:
        yield parse_broker_url(given)
        return
    with local_broker() as address:
        os.environ["WIRESTREAM_BROKER"] = address
        yield address


@pytest.fixture(scope="session")
def worker(bootstrap, tmp_path_factory):
    """One Faust worker process with every agent, for the end-to-end tests."""
    from streams.client.io import ensure_topics
    from streams.replay.workers import WorkerProcess

    asyncio.run(ensure_topics(bootstrap))
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = WorkerProcess(bootstrap, log_path=log).start()
    yield proc
    proc.stop()
