"""An agency's NewsML-G2 message through a real Kafka broker and a real worker (issue 13): its two text
items come out as two enriched records and two ninjs items, its picture item as a not_text dead letter."""

import asyncio
import time

import orjson
import pytest

from schemas.formats import parse_many
from schemas.ninjs_schema import is_valid
from schemas.validate import validate_deadletter, validate_enriched
from streams.client.io import Reader, produce
from streams.settings import topic_name
from tests.support import DATA

pytestmark = pytest.mark.broker

MESSAGE = (DATA / "formats" / "newsmlg2-message.xml").read_bytes()
G2 = "urn:newsml:wire.example.com:20240305:"
TEXT_IDS = {G2 + "eu-energy-0137", G2 + "chile-copper-0142"}


async def replay(bootstrap: str, payload: bytes, timeout: float = 180) -> dict:
    names = {topic_name(t): t for t in ("enriched", "ninjs", "deadletter")}
    seen: dict[str, list] = {t: [] for t in names.values()}
    async with Reader(bootstrap, list(names), start="latest") as reader:
        await produce(bootstrap, topic_name("raw"), [(None, payload)])
        deadline, done_at = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            mine = [d for d in seen["deadletter"] if d.get("original") == payload.decode()]
            if done_at is None and {r["id"] for r in seen["enriched"]} >= TEXT_IDS and \
                    {i["uri"] for i in seen["ninjs"]} >= TEXT_IDS and mine:
                done_at = time.monotonic()
            if done_at is not None and time.monotonic() - done_at >= 2.0:  # settle: catch duplicates
                break
            async for rec in reader.records(timeout=0.5):
                seen[names[rec.topic]].append(orjson.loads(rec.value))
    return seen


def test_newsml_g2_message_gives_two_records_two_ninjs_items_and_one_not_text_dead_letter(bootstrap, worker):
    assert [type(a).__name__ for a in parse_many(MESSAGE)] == ["Article", "InvalidArticle", "Article"]
    seen = asyncio.run(replay(bootstrap, MESSAGE))
    assert worker.alive(), worker.log_tail()

    records = [r for r in seen["enriched"] if r["id"] in TEXT_IDS]
    assert sorted(r["id"] for r in records) == sorted(TEXT_IDS), worker.log_tail()
    items = [i for i in seen["ninjs"] if i["uri"] in TEXT_IDS]
    assert sorted(i["uri"] for i in items) == sorted(TEXT_IDS)
    dead = [d for d in seen["deadletter"] if d.get("original") == MESSAGE.decode()]
    assert len(dead) == 1, dead

    energy = next(r for r in records if r["id"] == G2 + "eu-energy-0137")
    validate_enriched(energy)
    assert energy["headline"] == "EU energy ministers agree joint gas purchases"
    assert energy["source_meta"]["version"] == "3" and energy["source_meta"]["located"] == "Brussels"
    assert energy["source_meta"]["subjects"][0] == {"code": "medtop:20000763", "name": "energy and resource"}
    persons = {e["name"] for e in energy["entities"] if e["label"] == "PERSON"}
    assert "Kadri Simson" in persons
    copper = next(r for r in records if r["id"] == G2 + "chile-copper-0142")
    validate_enriched(copper)
    assert copper["source_meta"]["byline"] == "By Diego Fuentes"

    energy_item = next(i for i in items if i["uri"] == G2 + "eu-energy-0137")
    assert is_valid(energy_item, "2.2")
    assert (energy_item["version"], energy_item["by"], energy_item["located"]) == ("3", "By Anna Keller",
                                                                                   "Brussels")
    assert {"name": "energy and resource", "rel": "about",
            "uri": "http://cv.iptc.org/newscodes/mediatopic/20000763"} in energy_item["subjects"]
    assert any(p["name"] == "Kadri Simson" and p["rel"] == "mentioned" for p in energy_item["people"])

    [picture] = dead  # item_detail counts items from 0: the picture is the second item, "item 1"
    validate_deadletter(picture)
    assert picture["reason"] == "not_text"
    assert picture["detail"] == (f"item 1 of 3: NewsML-G2 newsItem {G2}eu-energy-photo-0138 is a picture item"
                                 " (itemClass ninat:picture)")
    assert picture["source"]["topic"] == topic_name("raw")
