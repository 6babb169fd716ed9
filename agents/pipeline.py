"""The Faust agents: thin wrappers that move records between topics and call the pure stages.

    articles.raw ──validate+parse──▶ articles.parsed ──┬─▶ entities ──┐
         │                                            ├─▶ quotes ────┼─▶ articles.partial ──join──▶ enriched
         └──▶ articles.deadletter                     └─▶ sentiment ─┘  (+ the article part)

The Doc is parsed once, by the validate agent; stages read it back from JSON.

Exactly-once: Faust runs one transactional producer per partition number of a group of co-partitioned
topics and commits it together with the consumed offsets of that partition. So every record derived
from raw partition *p* is written to partition *p* of the next topic (explicitly, not by key hash):
an article's whole journey is one chain of transactions on one partition number, and the join's parts
always meet on the same partition. Sends to a topic the worker does not consume are *not*
transactional in Faust, which is why ``outcomes`` consumes enriched and dead-letter records.
Run with ``wirestream worker`` or ``faust -A agents.pipeline worker``.
"""

import asyncio
import logging
from collections import Counter, OrderedDict
from datetime import UTC, datetime

from spacy.tokens import Doc

from agents.enrich import STAGES, assemble
from agents.nlp import load_nlp
from schemas.article import Article, InvalidArticle, parse_raw
from schemas.codec import dumps
from schemas.deadletter import make_deadletter
from streams import topics
from streams.app import app, settings

log = logging.getLogger(__name__)

ARTICLE = "article"
PARTS = (ARTICLE, *STAGES)

#: Partial results per article id, held until every part has arrived. Keyed like articles.partial.
parts_table = app.Table("article-parts", default=dict, partitions=settings.partitions)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def origin(event) -> dict:
    msg = event.message
    return {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}


def instance(event) -> str:
    """Identity of one accepted message, so two articles sharing an id never mix their parts."""
    msg = event.message
    return f"{msg.partition}:{msg.offset}"


def parse_docs(texts: list[str]) -> list[dict | Exception]:
    """spaCy over a batch; one bad text must not take the batch down with it."""
    nlp = load_nlp()
    try:
        return [doc.to_json() for doc in nlp.pipe(texts)]
    except Exception:  # noqa: BLE001 - retried one by one to find the culprit
        out: list[dict | Exception] = []
        for text in texts:
            try:
                out.append(nlp(text).to_json())
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out


async def dead_letter(reason: str, detail: str, original: bytes, src: dict, *, partition: int,
                      **extra) -> None:
    record = make_deadletter(reason, detail, original, **src, **extra)
    key = record["id"].encode() if record.get("id") else None
    await topics.deadletter.send(key=key, value=record, partition=partition)


@app.agent(topics.raw)
async def validate(stream):
    """Decode raw input, dead-letter what is not an article, parse the rest with spaCy in batches."""
    loop = asyncio.get_running_loop()
    async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
        accepted: list[tuple[Article, object]] = []
        for event in events:
            raw = event.value if isinstance(event.value, bytes) else dumps(event.value)
            here = event.message.partition
            try:
                accepted.append((parse_raw(raw), event))
            except InvalidArticle as exc:
                await dead_letter(exc.reason, exc.detail, raw, origin(event), partition=here)
            except Exception as exc:  # noqa: BLE001 - the worker never crashes on input
                log.exception("validator failed")
                await dead_letter("internal_error", f"{type(exc).__name__}: {exc}", raw, origin(event),
                                  partition=here)
        if not accepted:
            continue
        # Off the event loop, so heartbeats and commits keep flowing while spaCy works.
        docs = await loop.run_in_executor(None, parse_docs, [a.body_text for a, _ in accepted])
        for (article, event), doc in zip(accepted, docs, strict=True):
            key, here = article.id.encode(), event.message.partition
            if isinstance(doc, Exception):
                await dead_letter("nlp_failed", f"{type(doc).__name__}: {doc}", event.value, origin(event),
                                  partition=here, article_id=article.id, stage="parse")
                continue
            record = article.to_dict()
            ref = {"id": article.id, "instance": instance(event), "source": origin(event)}
            await topics.partial.send(key=key, partition=here,
                                      value={**ref, "stage": ARTICLE, "result": record})
            await topics.parsed.send(key=key, partition=here, value={**ref, "article": record, "doc": doc})


_docs: OrderedDict = OrderedDict()


def doc_of(event) -> Doc:
    """Rebuild the Doc once per message, although three stage agents read it."""
    key = (event.message.topic, event.message.partition, event.message.offset)
    doc = _docs.get(key)
    if doc is None:
        doc = _docs[key] = Doc(load_nlp().vocab).from_json(event.value["doc"])
        while len(_docs) > 64:
            _docs.popitem(last=False)
    return doc


def stage_agent(stage: str, fn):
    async def run(stream):
        async for event in stream.events():
            ref = {k: event.value[k] for k in ("id", "instance", "source")}
            try:
                part = {**ref, "stage": stage, "result": fn(doc_of(event))}
            except Exception as exc:  # noqa: BLE001 - reported by the join as a dead letter
                log.exception("stage %s failed on %s", stage, ref["id"])
                part = {**ref, "stage": stage, "error": f"{type(exc).__name__}: {exc}"}
            await topics.partial.send(key=event.key, value=part, partition=event.message.partition)

    run.__name__ = run.__qualname__ = f"stage_{stage}"
    return app.agent(topics.parsed, name=f"agents.pipeline.stage_{stage}")(run)


stage_agents = {stage: stage_agent(stage, fn) for stage, fn in STAGES.items()}


@app.agent(topics.partial)
async def join(stream):
    """Hold partial results until all parts of an article are in, then publish one enriched record."""
    async for event in stream.events():
        part, here = event.value, event.message.partition
        slot = part["instance"].encode()
        parts = dict(parts_table[slot])
        parts[part["stage"]] = part
        if not all(p in parts for p in PARTS):
            parts_table[slot] = parts
            continue
        del parts_table[slot]
        failed = [p for p in parts.values() if "error" in p]
        article = parts[ARTICLE]["result"]
        if failed:
            await dead_letter("stage_failed", failed[0]["error"], article["body_text"].encode(),
                              part["source"], partition=here, article_id=part["id"], stage=failed[0]["stage"])
            continue
        results = {name: p["result"] for name, p in parts.items()}
        record = assemble(article, results, enriched_at=now())
        await topics.enriched.send(key=event.key, value=record, partition=here)


@app.agent(topics.outcomes)
async def outcomes(stream):
    """Count what came out. Consuming these topics also puts Faust's sends to them in its transactions."""
    async for event in stream.events():
        kind = "enriched" if event.message.topic == topics.enriched.get_topic_name() else "deadletter"
        outcome_counts[kind] += 1


outcome_counts: Counter = Counter()
