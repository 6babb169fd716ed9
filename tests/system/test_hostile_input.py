"""Guarantee 5: hostile input is dead-lettered with a specific reason or handled as documented; the
worker never crashes and the next good article still flows (real broker, real worker)."""

import asyncio
import base64
import subprocess
import sys

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.deadletter import MAX_ORIGINAL_JSON_BYTES
from schemas.validate import validate_deadletter, validate_enriched
from streams.client.accounting import collect
from streams.client.io import PayloadTooLarge, Reader, produce
from streams.settings import topic_name

pytestmark = pytest.mark.broker

DEEP = 100  # MAX_JSON_DEPTH is 64; 5000 is past orjson's own recursion limit too
TEN_MB = 10 * 1024 * 1024


def js(**fields) -> bytes:
    return orjson.dumps(fields)


def nested(depth: int) -> bytes:
    return b'{"id": "h-deep", "body_text": "x", "extra": ' + b"[" * depth + b"]" * depth + b"}"


# payload -> the dead-letter reason it must get (the validator finds no id, so these are id-less)
DEAD = {
    b'{"id": "h-malformed", "body_text": ': "invalid_json",
    b"\xff\xfe hostile \x80 bytes": "not_utf8",
    js(id="h-nobody", headline="Only a headline"): "missing_body",
    js(id="h-empty", body_text=" \n\t "): "empty_body",
    b"": "empty_body",
    js(id="h-type", body_text=42): "wrong_type",
    js(id=["h-listid"], body_text="Angela Merkel met Emmanuel Macron."): "wrong_type",
    nested(DEEP): "too_deeply_nested",
    nested(5000): "too_deeply_nested",
    js(id="h-bighead", headline="Breaking " * 700, body_text="Short body."): "headline_too_large",
    js(id="h-bigbody", body_text="Words and more words. " * 15_000): "body_too_large",  # 330 KB
}

# accepted input: id -> payload (enriched, as documented in the README)
GOOD = {
    "h-html": js(id="h-html", body_text="<p>Angela Merkel met <b>Emmanuel Macron</b> in Paris.</p>"
                 "<script>alert('x')</script>"),
    "h-ctrl": js(id="h-ctrl", headline="Bell\u0007 and NUL\u0000", body_text="Angela\u0000 Merkel met\u0007 "
                 "Emmanuel Macron\u001b in Paris.\u009b"),
    "h-de": js(id="h-de", body_text="Angela Merkel traf Emmanuel Macron in Paris. Die Gespräche dauerten "
               "drei Stunden, sagte ein Sprecher der Regierung."),
    "h-zh": js(id="h-zh", body_text="默克尔在巴黎会见了马克龙。两人讨论了欧洲的未来。"),
    "h-rtl": js(id="h-rtl", body_text="التقى ميركل وماكرون في باريس. وناقشا مستقبل أوروبا."),
}
DUP = [js(id="h-dup", body_text="Angela Merkel met Emmanuel Macron in Paris."),
       js(id="h-dup", body_text="Corrected: Angela Merkel met Emmanuel Macron in Berlin.")]
NEXT = js(id="h-next", headline="Still flowing", body_text="Lloyd Austin spoke to reporters in Kyiv.")


def original_bytes(dead: dict) -> bytes:
    if dead["original_encoding"] == "base64":
        return base64.b64decode(dead["original"])
    return dead["original"].encode()


async def replay(bootstrap):
    raw = topic_name("raw")
    topics = [topic_name("enriched"), topic_name("deadletter")]
    async with Reader(bootstrap, topics, start="latest") as reader:
        await produce(bootstrap, raw, [(None, p) for p in DEAD] + [(b"h-tomb", None)])  # + a tombstone
        await produce(bootstrap, raw, [(i.encode(), p) for i, p in GOOD.items()])
        await produce(bootstrap, raw, [(b"h-dup", p) for p in DUP])
        await produce(bootstrap, raw, [(b"h-next", NEXT)])
        ids = {*GOOD, "h-dup", "h-next"}
        return await collect(reader, ids, timeout=300, anonymous=len(DEAD) + 1, settle=5.0,
                             until=lambda o: not o.missing(ids) and o.counts[(topics[0], "h-dup")] >= 2
                             and len(o.anonymous_deadletters) >= len(DEAD) + 1)


def test_hostile_input_is_dead_lettered_or_handled_and_the_worker_survives(bootstrap, worker):
    log_start = worker.log_path.stat().st_size if worker.log_path.exists() else 0
    out = asyncio.run(replay(bootstrap))
    assert worker.alive(), worker.log_tail()

    got = {original_bytes(d)[:64]: d for d in out.anonymous_deadletters}
    for payload, reason in DEAD.items():
        dead = got.get(payload[:64])
        assert dead is not None, (payload[:60], sorted(got), out.deadletters, sorted(out.enriched))
        assert dead["reason"] == reason, (payload[:60], dead["reason"], dead["detail"])
        assert dead["detail"] and "\n" not in dead["detail"]
        validate_deadletter(dead)
        assert len(orjson.dumps(dead)) < 1_000_000
    assert got[b"null"]["reason"] == "missing_body"  # a tombstone: no value, so no body
    big = got[next(p for p, r in DEAD.items() if r == "body_too_large")[:64]]
    assert big["original_size"] > MAX_ORIGINAL_JSON_BYTES // 3 and not big["original_truncated"]

    for article_id in [*GOOD, "h-next"]:
        assert out.counts[(topic_name("enriched"), article_id)] == 1, article_id
        validate_enriched(out.enriched[article_id])
    assert "<script>" in out.enriched["h-html"]["body_text"]  # plain text is analysed verbatim
    ctrl = out.enriched["h-ctrl"]
    assert ctrl["body_text"] == "Angela Merkel met Emmanuel Macron in Paris."
    assert ctrl["headline"] == "Bell and NUL"
    assert out.enriched["h-zh"]["body_text"] == orjson.loads(GOOD["h-zh"])["body_text"]
    # The same id twice is two accepted messages: two enriched records, the later one is current.
    assert out.counts[(topic_name("enriched"), "h-dup")] == 2
    assert not out.deadletters.keys() & {*GOOD, "h-dup", "h-next"}

    new_log = worker.log_path.read_bytes()[log_start:].decode(errors="replace")
    assert "Traceback" not in new_log, new_log[-3000:]


def test_ten_megabyte_body_is_refused_before_kafka(bootstrap, tmp_path):
    """A 10 MB article is never accepted: `wirestream produce` refuses it with the limit, sending
    nothing, and the broker itself refuses a record that size from any other producer."""
    body = tmp_path / "huge.txt"
    body.write_bytes(b"Huge headline\n\n" + b"word " * (TEN_MB // 5))
    proc = subprocess.run([sys.executable, "-m", "streams.cli", "produce", str(body)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "1 MiB" in proc.stderr and "nothing was sent" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr

    with pytest.raises(PayloadTooLarge):
        asyncio.run(produce(bootstrap, topic_name("raw"), [(None, body.read_bytes())]))

    async def raw_send():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * TEN_MB)
        await producer.start()
        try:
            await producer.send_and_wait(topic_name("raw"), body.read_bytes())
        finally:
            await producer.stop()

    with pytest.raises(KafkaError):  # MessageSizeTooLargeError from the broker
        asyncio.run(raw_send())
