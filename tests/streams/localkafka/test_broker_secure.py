"""`wirestream broker start --secure`: real SASL_SSL (SCRAM-SHA-256/512, PLAIN) against a real Kafka broker.

One secure broker for the module, in its own WIRESTREAM_HOME on free ports; the jar cache is the session's.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemas.formats import parse_raw
from streams import localkafka
from streams.cli.broker import broker as broker_group
from streams.client.errors import BrokerUnreachable
from streams.client.io import Reader, ensure_topics, produce, raw_key
from streams.client.security import ENV_VARS
from streams.localkafka import jvm
from streams.localkafka import node as broker
from streams.localkafka.errors import LocalKafkaError
from tests.support import REPO

pytestmark = pytest.mark.broker
WRONG = "definitely-not-the-password-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    """(home, status) of a running --secure broker."""
    home = tmp_path_factory.mktemp("secure") / "home"
    cache = str(jvm.jar_cache_dir())
    mp = pytest.MonkeyPatch()
    mp.setenv("WIRESTREAM_KAFKA_CACHE", cache)
    try:
        with broker.local_broker(home, port=broker.free_port(), secure=True):
            yield home, broker.status(home=home)
    finally:
        mp.undo()


def client_env(state: dict, mechanism: str = "SCRAM-SHA-512", password_file: str | None = None) -> dict:
    return {
        "WIRESTREAM_SECURITY_PROTOCOL": "SASL_SSL",
        "WIRESTREAM_SASL_MECHANISM": mechanism,
        "WIRESTREAM_SASL_USERNAME": state["sasl_username"],
        "WIRESTREAM_SASL_PASSWORD_FILE": password_file or state["password_file"],
        "WIRESTREAM_SSL_CAFILE": state["cafile"],
    }


@pytest.fixture
def use_env(monkeypatch):
    def apply(env: dict) -> None:
        for name in ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    return apply


async def roundtrip(bootstrap: str, topic: str, value: bytes) -> list[bytes]:
    await produce(bootstrap, topic, [(b"k", value)])
    async with Reader(bootstrap, [topic]) as reader:
        return [rec.value async for rec in reader.records(max_records=1, timeout=30)]


def test_status_shows_secure_listener_and_files_are_private(secure):
    home, state = secure
    assert state["secure_bootstrap"] != state["bootstrap"]
    assert state["sasl_mechanisms"] == ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]
    result = CliRunner().invoke(broker_group, ["status"], env={"WIRESTREAM_HOME": str(home)})
    assert result.exit_code == 0, result.output
    for text in (f"secure SASL_SSL bootstrap={state['secure_bootstrap']}", f"cafile={state['cafile']}",
                 f"password_file={state['password_file']}", f"client_env={state['client_env']}"):
        assert text in result.output
    password = Path(state["password_file"]).read_text().strip()
    assert password not in result.output
    bdir = home / "broker"
    for private in (bdir / "server.properties", Path(state["password_file"]), Path(state["client_env"]),
                    bdir / "secure" / "broker.pem"):
        assert private.stat().st_mode & 0o777 == 0o600, private
    assert password not in Path(state["client_env"]).read_text()


def test_local_bootstrap_follows_the_security_protocol(secure, use_env):
    home, state = secure
    use_env({})
    assert localkafka.local_bootstrap(home=home) == state["bootstrap"]
    use_env(client_env(state))
    assert localkafka.local_bootstrap(home=home) == state["secure_bootstrap"]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_produce_and_consume_over_sasl_ssl(secure, use_env, mechanism):
    _, state = secure
    use_env(client_env(state, mechanism))
    topic = f"secure-{mechanism.lower()}-{uuid.uuid4().hex[:6]}"
    value = mechanism.encode()
    assert asyncio.run(roundtrip(state["secure_bootstrap"], topic, value)) == [value]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_wrong_password_is_refused_with_a_clear_error(secure, use_env, tmp_path, mechanism):
    _, state = secure
    wrong = tmp_path / "wrong"
    wrong.write_text(WRONG)
    use_env(client_env(state, mechanism, str(wrong)))
    with pytest.raises(BrokerUnreachable) as err:
        asyncio.run(produce(state["secure_bootstrap"], "secure-refused", [(None, b"x")]))
    message = str(err.value)
    where = state["secure_bootstrap"]
    assert message.startswith(f"authentication failed at {where} (SASL_SSL {mechanism} as ")
    assert "SaslAuthenticationFailed" in message and WRONG not in message


def test_plaintext_client_on_the_tls_port_fails(secure, use_env):
    _, state = secure
    use_env({})
    with pytest.raises(BrokerUnreachable) as err:
        asyncio.run(produce(state["secure_bootstrap"], "secure-plain", [(None, b"x")]))
    assert "closed the connection" in str(err.value)
    assert "WIRESTREAM_SECURITY_PROTOCOL=PLAINTEXT" in str(err.value)


def test_untrusted_certificate_is_refused(secure, use_env):
    _, state = secure
    env = client_env(state)
    del env["WIRESTREAM_SSL_CAFILE"]  # system CAs do not know the throwaway CA
    use_env(env)
    with pytest.raises(BrokerUnreachable, match=r"TLS certificate of .* not trusted: .*SSL_CAFILE"):
        asyncio.run(produce(state["secure_bootstrap"], "secure-untrusted", [(None, b"x")]))


def test_cli_flags_reach_the_secure_listener(secure, tmp_path, seed_bytes):
    _, state = secure
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k != "WIRESTREAM_BROKER"}
    env["WIRESTREAM_TOPIC_PREFIX"] = f"secure-cli-{uuid.uuid4().hex[:6]}."
    flags = ["--security-protocol", "SASL_SSL", "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-username",
             state["sasl_username"], "--ssl-cafile", state["cafile"]]
    seed = REPO / "seeds" / "000_fff007b84d78eb8b.txt"

    def run(password_file: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "streams.cli", *flags, "--sasl-password-file", password_file, "produce",
             "--broker", f"kafka://{state['secure_bootstrap']}", str(seed)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    ok = run(state["password_file"])
    assert ok.returncode == 0, ok.stderr
    assert "produced 1 article(s)" in ok.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text(WRONG)
    refused = run(str(wrong))
    assert refused.returncode == 1
    assert "wirestream: authentication failed at" in refused.stderr, refused.stderr
    assert WRONG not in refused.stderr + refused.stdout


def test_kafka_tools_through_the_secure_listener(secure, tmp_path):
    """`wirestream kafka topics` with the security variables only: it authenticates (the password in a
    private properties file, never on the command line); a wrong password fails and is not printed."""
    _, state = secure
    topic = f"secure-tools-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(client_env(state), WIRESTREAM_BROKER=state["secure_bootstrap"])

    def kafka(*args, password_file=state["password_file"]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "streams.cli", "kafka", *args], cwd=REPO,
                              env={**env, "WIRESTREAM_SASL_PASSWORD_FILE": password_file},
                              capture_output=True, text=True, timeout=120)

    created = kafka("topics", "--create", "--topic", topic, "--partitions", "2")
    assert created.returncode == 0, created.stderr
    listed = kafka("topics", "--list")
    assert listed.returncode == 0 and topic in listed.stdout.splitlines(), listed.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text(WRONG)
    refused = kafka("topics", "--list", password_file=str(wrong))
    assert refused.returncode != 0
    assert "Authentication failed" in refused.stdout + refused.stderr, refused.stderr[-2000:]
    assert WRONG not in refused.stdout + refused.stderr


def test_pipeline_end_to_end_through_the_secure_listener(secure, use_env, tmp_path, seed_bytes):
    """A worker configured only by the environment enriches the seed, reading and writing over SASL_SSL."""
    from streams.replay.workers import WorkerProcess

    home, state = secure
    run = uuid.uuid4().hex[:6]
    password = Path(state["password_file"]).read_text().strip()
    env = {**client_env(state, "SCRAM-SHA-256"), "WIRESTREAM_TOPIC_PREFIX": f"secure-e2e-{run}.",
           "WIRESTREAM_APP_ID": f"wirestream-secure-{run}", "WIRESTREAM_HOME": str(home)}
    del env["WIRESTREAM_SASL_PASSWORD_FILE"]
    env["WIRESTREAM_SASL_PASSWORD"] = password  # inline: the riskier way, which must not leak either
    use_env(env)  # this process (topics, reader, producer) and the worker see the same settings
    bootstrap = state["secure_bootstrap"]
    asyncio.run(ensure_topics(bootstrap))
    seed_id = parse_raw(seed_bytes).id
    log = tmp_path / "worker.log"
    with WorkerProcess(bootstrap, log_path=log, env=env) as worker:
        record = asyncio.run(_enrich_one(bootstrap, seed_bytes, seed_id, worker))
    assert record is not None, worker.log_tail(40)
    assert record["id"] == seed_id and record["entities"]
    _assert_no_secret([log], password)


async def _enrich_one(bootstrap: str, payload: bytes, seed_id: str, worker) -> dict | None:
    import orjson

    from streams.settings import topic_name

    async with Reader(bootstrap, [topic_name("enriched")], start="latest") as reader:
        await produce(bootstrap, topic_name("raw"), [(raw_key(payload), payload)])
        async for rec in reader.records(timeout=180):
            value = orjson.loads(rec.value)
            if value.get("id") == seed_id:
                return value
            if not worker.alive():
                return None
    return None


def _assert_no_secret(paths, *secrets: str) -> None:
    for path in paths:
        text = Path(path).read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"a secret is in {path}"


def test_restart_keeps_credentials_and_ca(secure, use_env):
    """Stop, start plain (a secure start is then refused until a stop), start --secure: same password, CA."""
    home, state = secure
    ca = Path(state["cafile"]).read_bytes()
    broker.stop(home=home)
    plain = broker.start(home=home)
    assert plain == state["bootstrap"] and "secure_bootstrap" not in broker.status(home=home)
    with pytest.raises(LocalKafkaError, match="runs without --secure: run `wirestream broker stop`"):
        broker.start(home=home, secure=True)
    broker.stop(home=home)
    broker.start(home=home, secure=True)
    again = broker.status(home=home)
    assert again["secure_bootstrap"] == state["secure_bootstrap"] and Path(again["cafile"]).read_bytes() == ca
    use_env(client_env(again, "SCRAM-SHA-256"))
    topic = f"secure-restart-{uuid.uuid4().hex[:6]}"
    assert asyncio.run(roundtrip(again["secure_bootstrap"], topic, b"again")) == [b"again"]


def test_no_secret_in_any_log_or_state_file(secure):
    """Runs after the tests above (file order): their attempts, right or wrong, left no password behind."""
    home, state = secure
    password = Path(state["password_file"]).read_text().strip()
    bdir = home / "broker"
    logs = [p for p in bdir.rglob("*") if p.is_file() and (".log" in p.name or p.name.endswith(".json"))]
    assert bdir / "broker.log" in logs and bdir / "format.log" in logs and bdir / "state.json" in logs
    _assert_no_secret(logs, password, WRONG)
