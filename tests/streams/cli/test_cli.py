"""The wirestream command line, as a user runs it."""

import socket
import subprocess
import sys
import uuid

import orjson
import pytest

from schemas.validate import validate_enriched
from tests.support import SEED


def wirestream(*args, stdin: bytes | None = None, env: dict | None = None, timeout: float = 120):
    import os

    return subprocess.run([sys.executable, "-m", "streams.cli", *args], input=stdin, capture_output=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_enrich_offline_reads_json_lines_and_files():
    line = b'{"id": "c1", "headline": "H", "body_text": "Angela Merkel met Emmanuel Macron in Paris."}\n'
    done = wirestream("enrich", "-", stdin=line)
    assert done.returncode == 0, done.stderr
    [record] = [orjson.loads(x) for x in done.stdout.splitlines()]
    validate_enriched(record)
    assert record["id"] == "c1"
    assert {"Angela Merkel", "Emmanuel Macron"} <= {e["name"] for e in record["entities"]}

    done = wirestream("enrich", str(SEED))
    assert done.returncode == 0, done.stderr
    [record] = [orjson.loads(x) for x in done.stdout.splitlines()]
    assert record["headline"].startswith("Ukraine pleads")


def test_enrich_reports_bad_lines_and_keeps_going():
    lines = b'{"id": "ok", "body_text": "Fine text here."}\n{"id": "bad", "body_text": ""}\nnot json\n'
    done = wirestream("enrich", "-", stdin=lines)
    assert done.returncode == 2
    assert [orjson.loads(x)["id"] for x in done.stdout.splitlines()] == ["ok"]
    assert b"<stdin>:2: empty_body" in done.stderr


def test_formats_lists_every_format_in_detection_order():
    from schemas.formats.registry import FORMATS

    done = wirestream("formats")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0].split() == ["format", "detected", "by", "example"]
    names = [line.split("  ")[0].strip() for line in lines[2:]]
    assert names == [f.name for f in FORMATS]
    assert names.index("iptc-7901") < names.index("anpa-1312") < names.index("json / ninjs")
    assert "newsml-g2" in names and "newsml-1.2" in names
    g2 = next(line for line in lines if line.startswith("newsml-g2"))
    assert "newsMessage" in g2 and g2.endswith("tests/data/formats/newsmlg2-message.xml")


def test_missing_file_is_one_clear_line():
    done = wirestream("enrich", "/nonexistent/article.txt")
    assert done.returncode != 0
    [line] = done.stderr.decode().strip().splitlines()
    assert "/nonexistent/article.txt" in line


def test_no_broker_reachable_is_one_clear_line(tmp_path):
    env = {"WIRESTREAM_HOME": str(tmp_path)}
    done = wirestream("produce", "--broker", f"kafka://127.0.0.1:{closed_port()}", str(SEED), env=env)
    assert done.returncode == 1
    [line] = done.stderr.decode().strip().splitlines()
    assert "no Kafka broker reachable" in line and "wirestream broker start" in line


@pytest.mark.broker
def test_produce_then_tail_raw_round_trip(bootstrap):
    # Own topics: the session's worker must not see this seed (the end-to-end tests count its outputs).
    env = {"WIRESTREAM_TOPIC_PREFIX": f"cli-{uuid.uuid4().hex[:8]}."}
    done = wirestream("produce", "--broker", f"kafka://{bootstrap}", str(SEED), env=env)
    assert done.returncode == 0, done.stderr
    done = wirestream("tail", "--broker", bootstrap, "--topic", "raw", "--max", "1", "--timeout", "30",
                      env=env)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert orjson.loads(line).startswith("Ukraine pleads for rapid NATO entry")
