"""HTTP ingest, metrics and health over real HTTP against a running worker on the real broker."""

import asyncio
import json
import re

import orjson
import pytest

from streams.client.accounting import collect
from streams.client.io import Reader, produce
from tests.support import DATA
from tests.support.webworker import WebWorker

pytestmark = pytest.mark.broker
FORMATS = DATA / "formats"


@pytest.fixture(scope="module")
def web(bootstrap, tmp_path_factory):
    worker = WebWorker(bootstrap, tmp_path_factory.mktemp("web") / "worker.log").start()
    yield worker
    worker.stop()


def outputs(web, action, ids, anonymous=0, timeout=180):
    """Run ``action`` (posting or producing) and collect the outcome of ``ids`` from the output topics."""
    async def go():
        async with Reader(web.bootstrap, [web.topic("enriched"), web.topic("deadletter")],
                          start="latest") as reader:
            await action()
            return await collect(reader, set(ids), timeout=timeout, anonymous=anonymous, settle=1.0,
                                 prefix=web.prefix)

    return asyncio.run(go())


def test_health_is_ready(web):
    status, body = web.get_json("/health")
    assert status == 200 and body["status"] == "ready" and body["partitions"] >= 1


def test_ingest_refuses_missing_or_wrong_token(web):
    article = b'{"id": "t1", "body_text": "x"}'
    assert web.post(article, token=None)[0] == 401
    status, body = web.post(article, token="wrong")
    assert status == 401 and body["error"] == "unauthorized"


def test_ingest_limits_body_size(web):
    status, body = web.post(b"[" + b" " * (2 * 1024 * 1024) + b"]")
    assert status == 413 and body["error"] == "payload_too_large"


def test_ingest_rejects_invalid_with_reason(web):
    status, body = web.post(b'{"headline": "broken", "body_text": ')
    assert status == 400 and body["error"] == "invalid_json"
    status, body = web.post(b'[{"id": "ok", "body_text": "fine"}, {"id": "bad"}]')
    assert status == 400 and body["error"] == "missing_body" and body["detail"].startswith("item 1:")


def test_ingest_array_and_feed_flow_through_the_pipeline(web):
    articles = [{"id": "web-1", "headline": "Summit", "body_text": "Angela Merkel met Emmanuel Macron."},
                {"id": "web-2", "body_text": "Defense Secretary Lloyd Austin spoke in Brussels on Tuesday."}]
    feed = (FORMATS / "reuters-style.rss.xml").read_bytes()
    feed_ids = ["urn:example-wire:2024-01-16:eu-sanctions-8812",
                "https://wire.example.com/business/2024/01/16/boj-rates",
                "urn:example-wire:2024-01-16:haushalt-de-4410"]
    answers = []

    async def post_both():
        answers.append(web.post(orjson.dumps(articles)))
        answers.append(web.post(feed, content_type="application/rss+xml"))

    out = outputs(web, post_both, ["web-1", "web-2", *feed_ids])
    assert answers == [(202, {"ids": ["web-1", "web-2"]}), (202, {"ids": feed_ids})]
    assert set(out.enriched) == {"web-1", "web-2", *feed_ids}, web.proc.log_tail()
    assert not out.duplicates()
    german = out.enriched[feed_ids[2]]
    assert german["language"] == "de" and german["entities"] == []
    assert german["skipped"] == {"stages": ["entities", "quotes", "sentiment"], "reason": "language=de"}
    assert "skipped" not in out.enriched[feed_ids[0]]
    assert {e["name"] for e in out.enriched[feed_ids[0]]["entities"]} >= {"Josep Borrell", "Brussels"}
    brussels = next(e for e in out.enriched[feed_ids[0]]["entities"] if e["name"] == "Brussels")
    assert brussels["geo"]["country_code"] == "BE" and brussels["geo"]["lat"] is not None


def test_metrics_in_prometheus_format(web):
    # A dead letter straight into raw, so the dead-letter counter has a reason to show.
    out = outputs(web, lambda: produce(web.bootstrap, web.topic("raw"), [(None, b"{not json")]), [],
                  anonymous=1)
    assert out.anonymous_deadletters[0]["reason"] == "invalid_json"
    status, body, headers = web.get("/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    for stage in ("parse", "entities", "quotes", "sentiment"):
        count = re.search(rf'^wirestream_stage_seconds_count{{stage="{stage}"}} (\S+)$', text, re.M)
        assert count and float(count.group(1)) >= 1, stage
    assert re.search(r'^wirestream_articles_in_total{language="de"} [1-9]', text, re.M)
    assert re.search(r'^wirestream_articles_out_total{topic="enriched"} [1-9]', text, re.M)
    assert re.search(r'^wirestream_deadletters_total{reason="invalid_json"} [1-9]', text, re.M)
    assert re.search(rf'^wirestream_consumer_lag{{partition="\d+",topic="{re.escape(web.topic("raw"))}"}} \d',
                     text, re.M)
    assert "# TYPE wirestream_end_to_end_seconds histogram" in text
    json.dumps(text)  # plain text, no binary


def test_ninjs_topic_has_a_valid_projection_of_each_enriched_record(web):
    from schemas.ninjs_schema import is_valid

    async def read():
        items = {}
        async with Reader(web.bootstrap, [web.topic("ninjs")], start="earliest") as reader:
            async for rec in reader.records(timeout=30):
                items[rec.key.decode()] = orjson.loads(rec.value)
                if {"web-1", "web-2", "EXP-20240123-quebec-storm-0042"} <= items.keys():
                    break
        return items

    nitf = (FORMATS / "ap-style.nitf.xml").read_bytes()
    out = outputs(web, lambda: produce(web.bootstrap, web.topic("raw"), [(None, nitf)]),
                  ["EXP-20240123-quebec-storm-0042"])
    assert "EXP-20240123-quebec-storm-0042" in out.enriched
    items = asyncio.run(read())
    assert {"web-1", "web-2", "EXP-20240123-quebec-storm-0042"} <= items.keys()
    assert all(is_valid(item, "2.2") for item in items.values())
    storm = items["EXP-20240123-quebec-storm-0042"]
    assert storm["uri"] == "EXP-20240123-quebec-storm-0042" or storm["uri"].startswith("urn:")
    assert storm["urgency"] == 3 and "Julie Boucher" in {p["name"] for p in storm["people"]}
    assert {"Angela Merkel", "Emmanuel Macron"} <= {p["name"] for p in items["web-1"]["people"]}


def test_near_duplicates_are_marked_through_the_pipeline(web):
    from tests.support.bbc import bbc_articles

    corpus = bbc_articles()
    (_, head_a, body_a), (_, head_b, body_b) = corpus[10], corpus[600]
    first = {"id": "bbc-original", "headline": head_a, "body_text": body_a}
    copy = {"id": "outlet-copy", "headline": head_a + " - update",
            "body_text": "LONDON (Wire) - " + body_a + "\n\nReporting by Jane Doe."}
    other = {"id": "bbc-other", "headline": head_b, "body_text": body_b}
    ids = ["bbc-original", "outlet-copy", "bbc-other"]

    async def post(*articles):
        for article in articles:
            assert web.post(orjson.dumps(article))[0] == 202

    # The original is enriched before the copy is sent, so it is the one seen first.
    out = outputs(web, lambda: post(first), ids[:1])
    assert "bbc-original" in out.enriched, web.proc.log_tail()
    out = outputs(web, lambda: post(copy, other), ids[1:])
    assert set(out.enriched) == set(ids[1:]), web.proc.log_tail()
    marked = out.enriched["outlet-copy"]
    assert marked["duplicate_of"] == "bbc-original" and 0.8 <= marked["similarity"] <= 1
    assert "duplicate_of" not in out.enriched["bbc-other"]
    status, body, _ = web.get("/metrics")
    assert re.search(r"^wirestream_duplicates_total [1-9]", body.decode(), re.M)


def test_duplicate_index_survives_a_worker_restart(web):
    """The global duplicate table is rebuilt from its changelog: a copy sent after a restart is still
    recognised (and the restarted worker becomes ready, i.e. recovery finishes)."""
    from tests.support.bbc import bbc_articles

    _, head, body = bbc_articles()[10]
    web.restart()
    copy = {"id": "copy-after-restart", "headline": head, "body_text": body + "\n\n(Wire)"}
    out = outputs(web, lambda: _post(web, copy), ["copy-after-restart"])
    assert out.enriched["copy-after-restart"]["duplicate_of"] == "bbc-original", web.proc.log_tail()


async def _post(web, article):
    assert web.post(orjson.dumps(article))[0] == 202


def test_trending_over_http_and_cli(web):
    article = {"id": "trend-1", "headline": "Talks",
               "body_text": "Josep Borrell met Kazuo Ueda in Tokyo. Josep Borrell said the talks went well."}
    out = outputs(web, lambda: _post(web, article), ["trend-1"])
    assert "trend-1" in out.enriched
    for kind in ("hopping", "tumbling"):
        status, body = web.get_json(f"/trending?window=1h&kind={kind}&limit=50")
        assert status == 200 and body["kind"] == kind and body["partitions"], body
        names = {e["name"]: e for e in body["entities"]}
        borrell = names["Josep Borrell"]  # also in the RSS feed posted earlier in this module
        assert borrell["label"] == "PERSON" and borrell["mentions"] >= 2 and borrell["articles"] >= 1
        assert -1 <= borrell["mean_sentiment"] <= 1
        mentions = [e["mentions"] for e in body["entities"]]
        assert mentions == sorted(mentions, reverse=True)
        assert "outlet-copy" not in json.dumps(body)
    assert web.get_json("/trending?window=5m")[0] == 400
    assert len(web.get_json("/trending?limit=2")[1]["entities"]) == 2

    import subprocess
    import sys

    table = subprocess.run([sys.executable, "-m", "streams.cli", "trending", "--url",
                            f"http://127.0.0.1:{web.port}", "--limit", "5"],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    header, rule, *rows = table.splitlines()
    assert header.split() == ["#", "entity", "label", "mentions", "articles", "sentiment"]
    assert len(rows) == 5 and rows[0].split()[0] == "1"
