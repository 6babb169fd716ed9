"""`wirestream replay` end to end: the real CLI, a real broker, a worker it starts itself."""

import os
import subprocess
import sys
import uuid

import orjson
import pytest

from tests.support import REPO

pytestmark = pytest.mark.broker

REPORT_KEYS = ["throughput_articles_per_s", "throughput_words_per_s", "latency_ms", "articles",
               "deadletters", "worker_peak_rss_mb"]


def replay(bootstrap, *args, timeout=600):
    """Run the CLI on topics and a consumer group of its own, so it never meets the session worker."""
    run = uuid.uuid4().hex[:8]
    env = {**os.environ, "WIRESTREAM_TOPIC_PREFIX": f"replay-{run}.", "WIRESTREAM_APP_ID": f"replay-{run}"}
    return subprocess.run([sys.executable, "-m", "streams.cli", "replay", "--broker", bootstrap, *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_replay_cycles_measures_and_reports(bootstrap, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("Talks in Paris\n\nAngela Merkel met Emmanuel Macron in Paris on Tuesday.")
    (inputs / "b.json").write_bytes(orjson.dumps({"id": "replay-b", "headline": "Berlin",
                                                  "body_text": "Olaf Scholz said he would visit Kyiv."}))
    (inputs / "c.json").write_bytes(b'{"headline": "broken", "body_text": ')  # dead-lettered, id-less
    report, plot = tmp_path / "report.json", tmp_path / "latency.png"
    # 3 inputs + the seed = 4; 9 articles = 2 full cycles with fresh ids, then 1 more
    done = replay(bootstrap, str(inputs), str(REPO / "seeds"), "--count", "9", "--rate", "20",
                  "--report", str(report), "--plot", str(plot), "--timeout", "180")
    assert done.returncode == 0, done.stdout + done.stderr

    figures = orjson.loads(report.read_bytes())
    assert list(figures) == REPORT_KEYS
    assert figures["articles"] == 9
    assert figures["deadletters"] == 2  # c.json in each of the two full cycles
    lat = figures["latency_ms"]
    assert list(lat) == ["p50", "p95", "p99", "max"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert figures["throughput_articles_per_s"] > 0 and figures["throughput_words_per_s"] > 0
    assert 50 < figures["worker_peak_rss_mb"] < 4000  # a Python process with spaCy loaded
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for label in ("articles/s", "words/s", "latency p99", "dead letters", "worker peak RSS"):
        assert label in done.stdout


def test_replay_exits_non_zero_when_articles_never_come_out(bootstrap, tmp_path):
    """No worker runs for these topics: the load test is also a loss check."""
    report = tmp_path / "report.json"
    done = replay(bootstrap, str(REPO / "seeds"), "--count", "3", "--workers", "0", "--timeout", "3",
                  "--report", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3 article(s) did not come out" in done.stderr
    figures = orjson.loads(report.read_bytes())
    assert figures["articles"] == 3 and figures["throughput_articles_per_s"] == 0
    assert figures["latency_ms"]["p50"] is None and figures["worker_peak_rss_mb"] is None
