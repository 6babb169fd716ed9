"""docker/compose.yml declares the broker, N worker replicas with their web port, and the replay job."""


import yaml

from tests.support import REPO

COMPOSE = REPO / "docker" / "compose.yml"


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_services():
    services = load()
    assert set(services) == {"kafka", "worker", "replay"}
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["replay"]["profiles"] == ["replay"]
    assert services["replay"]["command"][0] == "produce"


def test_workers_scale_and_serve_http():
    worker = load()["worker"]
    assert worker["deploy"]["replicas"] == "${WIRESTREAM_WORKERS:-2}"
    env = worker["environment"]
    assert env["WIRESTREAM_BROKER"] == "kafka://kafka:9092"
    assert int(env["WIRESTREAM_PARTITIONS"]) >= 2  # more partitions than one worker, so replicas share
    assert env["WIRESTREAM_WEB_PORT"] == "6066" and env["WIRESTREAM_WEB_HOST"] == "0.0.0.0"
    assert "WIRESTREAM_INGEST_TOKEN" in env
    assert worker["ports"] == ["6066-6069:6066"]  # one host port per replica, up to four
    assert "/health" in " ".join(worker["healthcheck"]["test"])
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_replicas_start_together_with_no_topic_init_step():
    """Issue 16: the replicas start at once (no ordering between them, no init service); the workers
    create their topics themselves, so the broker must not auto-create them with its own settings."""
    services = load()
    assert services["worker"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert not any("topic" in name for name in services)
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_broker_is_single_node_kraft_for_transactions():
    env = load()["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    # Exactly-once needs the transaction log; on one node its replication factor must be 1.
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_NUM_PARTITIONS"] == load()["worker"]["environment"]["WIRESTREAM_PARTITIONS"]
