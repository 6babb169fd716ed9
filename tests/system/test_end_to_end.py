"""The whole pipeline through a real Kafka broker and a real worker process."""

import asyncio

import pytest

from agents.offline import enrich_offline
from schemas.formats import parse_raw
from schemas.validate import validate_enriched
from streams.client.accounting import collect
from streams.client.io import Reader, produce
from streams.settings import topic_name

pytestmark = pytest.mark.broker

MALFORMED = b'{"headline": "broken", "body_text": '
STAGE_FIELDS = ("entities", "quotes", "sentiment")


async def replay(bootstrap, payloads, ids, anonymous=0, timeout=180):
    topics = [topic_name("enriched"), topic_name("deadletter")]
    async with Reader(bootstrap, topics, start="latest") as reader:
        await produce(bootstrap, topic_name("raw"), [(None, p) for p in payloads])
        return await collect(reader, ids, timeout=timeout, anonymous=anonymous, settle=2.0)


def test_seed_is_enriched_and_malformed_input_is_dead_lettered(bootstrap, worker, seed_bytes):
    seed_id = parse_raw(seed_bytes).id
    out = asyncio.run(replay(bootstrap, [seed_bytes, MALFORMED], {seed_id}, anonymous=1))
    assert worker.alive(), worker.log_tail()
    assert seed_id in out.enriched, f"seed never came out\n{worker.log_tail()}"
    assert not out.duplicates(), out.duplicates()

    record = out.enriched[seed_id]
    validate_enriched(record)
    assert record["schema_version"] == 1
    persons = {e["name"] for e in record["entities"] if e["label"] == "PERSON"}
    assert {"John Kirby", "Lloyd Austin", "Vladimir Putin", "Volodymyr Zelensky", "Mark Milley",
            "Jake Sullivan"} <= persons
    direct = [q for q in record["quotes"] if q["type"] == "direct"]
    assert len(direct) == 3
    assert [(q["speaker"] or {}).get("entity") for q in direct] == ["John Kirby"] * 3
    assert direct[1]["speaker"]["text"] == "he"  # "…,” he added
    # The worker's stages ran in its parse process (the default): the same as the offline path's.
    [offline] = enrich_offline([parse_raw(seed_bytes)])
    assert {k: record[k] for k in STAGE_FIELDS} == {k: offline[k] for k in STAGE_FIELDS}

    [dead] = out.anonymous_deadletters
    assert dead["reason"] == "invalid_json"
    assert dead["original"] == MALFORMED.decode()
    assert dead["source"]["topic"] == topic_name("raw")
    assert dead["source"]["offset"] >= 0


def test_invalid_utf8_is_dead_lettered_in_base64_and_next_article_flows(bootstrap, worker):
    bad = b"\xff\xfe not text \x80"
    good = (b'{"id": "e2e-good-1", "headline": "Plain", '
            b'"body_text": "Angela Merkel met Emmanuel Macron in Paris."}')
    out = asyncio.run(replay(bootstrap, [bad, good], {"e2e-good-1"}, anonymous=1))
    assert "e2e-good-1" in out.enriched, worker.log_tail()
    [dead] = out.anonymous_deadletters
    assert dead["reason"] == "not_utf8"
    assert dead["original_encoding"] == "base64"
    import base64

    assert base64.b64decode(dead["original"]) == bad
