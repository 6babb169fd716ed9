"""The Faust agents: thin wrappers that move records between topics and call the pure stages.

    articles.raw ──validate+parse──▶ articles.parsed ──┬─▶ entities ──┐
         │                                            ├─▶ quotes ────┼─▶ articles.partial ──join──▶ enriched
         └──▶ articles.deadletter                     └─▶ sentiment ─┘  (+ the article part)

The Doc is parsed once, by the validate agent: in a child process of the worker (agents/parsing.py),
which runs the stages on it too, so the worker's stage agents publish their outcomes; or, with
WIRESTREAM_PARSE_PROCESS=0, in a thread, whose Docs the worker's stage agents take as they are. A stage
agent reads any other worker's Doc back from its binary form (agents/stages/docwire.py).

Exactly-once: Faust runs one transactional producer per partition number of a group of co-partitioned
topics and commits it together with the consumed offsets of that partition. So every record derived
from raw partition *p* is written to partition *p* of the next topic (explicitly, not by key hash):
an article's whole journey is one chain of transactions on one partition number, and the join's parts
always meet on the same partition. Sends to a topic the worker does not consume are *not*
transactional in Faust, which is why ``outcomes`` consumes enriched and dead-letter records.
Two gaps in Faust's own bookkeeping are closed in ``agents/exactly_once.py``: each agent sends a message's
output in one step that commits wait for (``guard``), and the join drops parts that a restarted worker
delivers again for an article that already came out (``finished``).
Nothing is declared at import: :func:`register` puts the agents on an app that streams/worker/app.py
built, with its topics and tables. Run with ``wirestream worker`` or ``faust -A agents.pipeline worker``
(this module's ``app`` builds the worker's app on first access, for Faust's command line).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import numpy
from spacy.tokens import Doc
from spacy.vocab import Vocab

from agents import metrics
from agents.enrichment.intake import articles_in, item_detail, skip_parts
from agents.enrichment.record import assemble
from agents.exactly_once import CommitGuard, Finished
from agents.messages import ParsedMessage, Part, Ref, Source
from agents.parsing import ParseFailed, StageOutcome, parser, run_stage
from agents.recent import Recent
from agents.stages import STAGES
from agents.stages.docwire import doc_from_wire
from agents.stages.nlp import load_nlp, wire_vocab
from agents.tables import Tables
from schemas.article import Article
from schemas.clock import utc_now
from schemas.codec import dumps
from schemas.deadletter import make_deadletter
from schemas.errors import InvalidArticle
from streams.settings import Settings

log = logging.getLogger(__name__)

ARTICLE = "article"
PARTS = (ARTICLE, *STAGES)


def origin(event) -> Source:
    msg = event.message
    return {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}


def instance(event, index: int = 0) -> str:
    """Identity of one accepted article (a message may hold several: a feed), so two articles sharing
    an id never mix their parts."""
    msg = event.message
    return f"{msg.partition}:{msg.offset}" + (f"/{index}" if index else "")


def part_key(slot: str, stage: str) -> str:
    """The join table's key of one part of an article instance (agents/exactly_once.py's markers are
    keyed by the instance itself)."""
    return f"{slot}#{stage}"


class Docs:
    """Docs by article instance: parsed here, or rebuilt once for the stage agents. Each is dropped once
    every stage has read it, so a backlog costs no memory here; the bound covers Docs whose stages
    run in another worker (their partitions moved), and a Doc evicted early only costs a rebuild
    (from its DocBin form, ~1 ms)."""

    KEPT = 128
    READERS = len(STAGES)  # stage agents that read each Doc

    def __init__(self, vocab: Callable[[], Vocab] = lambda: load_nlp().vocab) -> None:
        self._docs: OrderedDict[str, list] = OrderedDict()  # instance -> [doc, reads left]
        self._vocab = vocab  # what rebuilt Docs live in

    def __len__(self) -> int:
        return len(self._docs)

    def hand_off(self, key: str, doc: Doc) -> None:
        # The stages never read tok2vec's output and it is most of a Doc's memory. A fresh empty
        # array, not a slice: a slice is a view that keeps the whole tensor alive.
        doc.tensor = numpy.zeros((0, *doc.tensor.shape[1:]), dtype=doc.tensor.dtype)
        self._docs[key] = [doc, self.READERS]
        while len(self._docs) > self.KEPT:
            self._docs.popitem(last=False)

    def of(self, event) -> Doc:
        """The Doc of a parsed message: the one this process parsed, else rebuilt from the message once."""
        key = event.value["instance"]
        if key not in self._docs:
            self.hand_off(key, doc_from_wire(event.value["doc"], self._vocab()))
        entry = self._docs[key]
        entry[1] -= 1
        if entry[1] <= 0:
            del self._docs[key]
        return entry[0]


class ChildOutcomes:
    """Stage outcomes computed in the parse's child process (agents/parsing.py), by article instance:
    each stage agent takes its own once. Bounded like Docs: an outcome evicted early (its stage agent
    far behind the validate agent) only costs rebuilding the Doc from its message."""

    KEPT = 512  # a few KB each, where a Doc is ~0.2 MB

    def __init__(self) -> None:
        self._by: OrderedDict[str, dict] = OrderedDict()  # instance -> {stage: StageOutcome}

    def __len__(self) -> int:
        return len(self._by)

    def hand_off(self, key: str, outcomes: dict) -> None:
        self._by[key] = outcomes  # the parse's own dict, read by nothing else
        while len(self._by) > self.KEPT:
            self._by.popitem(last=False)

    def take(self, key: str, stage: str) -> StageOutcome | None:
        entry = self._by.get(key)
        if entry is None or stage not in entry:
            return None
        outcome = entry.pop(stage)
        if not entry:
            del self._by[key]
        return outcome


class Wiring(NamedTuple):
    """What :func:`register` put on the app: its topics, tables and agents (tests drive the agents)."""

    app: object
    topics: object
    tables: Tables
    validate: object
    stage_agents: dict
    join: object
    trend: object
    outcomes: object
    recent: Recent  # the newsroom page's window of recent records (agents/recent.py)


def register(app, topics, tables: Tables, settings: Settings) -> Wiring:
    """Declare the pipeline's agents on ``app`` over ``topics`` (streams/worker/topics.py) and ``tables``."""
    #: Each message's output is sent in one step that Faust's commits wait for (agents/exactly_once.py).
    guard = CommitGuard(app, quiet=settings.commit_quiet)

    @app.on_before_shutdown.connect
    async def finish_the_step_in_progress(sender, **kwargs) -> None:
        """Before Faust cancels the agents for its last commit (agents/exactly_once.py)."""
        await guard.close()
        await asyncio.to_thread(parse.close)  # no step takes a parse any more

    parse = parser(child=settings.parse_process)

    #: Instances already joined: parts Faust delivers again after a crash are dropped.
    finished = Finished(tables.parts)
    # A worker whose parse runs in a child has no model of its own: its Docs live in a blank vocab.
    docs = Docs(wire_vocab) if settings.parse_process else Docs()
    child_outcomes = ChildOutcomes()
    recent = Recent()

    async def dead_letter(reason: str, detail: str, original: bytes, src: dict, *, partition: int,
                          **extra) -> None:
        record = make_deadletter(reason, detail, original, **src, **extra)
        key = record["id"].encode() if record.get("id") else None
        await topics.deadletter.send(key=key, value=record, partition=partition)

    @app.agent(topics.raw, name="agents.pipeline.validate")
    async def validate(stream):
        """Decode raw input, dead-letter what is not an article, parse the rest with spaCy in batches."""
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            accepted: list[tuple[Article, object, int]] = []
            sends = []  # coroutines, run in one guarded step once the whole batch is processed
            for event in events:
                raw = event.value if isinstance(event.value, bytes) else dumps(event.value)
                here = event.message.partition
                metrics.RAW_MESSAGES.inc()
                try:
                    found = articles_in(raw)
                    for i, item in enumerate(found):
                        metrics.count_in(item)
                        if isinstance(item, InvalidArticle):
                            detail = item_detail(item.detail, i, len(found))
                            sends.append(dead_letter(item.reason, detail, raw, origin(event), partition=here))
                            continue
                        ref = Ref(id=item.id, instance=instance(event, i), source=origin(event))
                        if (skip := skip_parts(item, ref, ARTICLE)) is None:
                            accepted.append((item, event, i))
                        for part in skip or ():  # not English: no spaCy, empty stage results
                            sends.append(topics.partial.send(key=item.id.encode(), partition=here,
                                                             value=part))
                except InvalidArticle as exc:
                    sends.append(dead_letter(exc.reason, exc.detail, raw, origin(event), partition=here))
                except Exception as exc:  # noqa: BLE001 - the worker never crashes on input
                    log.exception("validator failed")
                    sends.append(dead_letter("internal_error", f"{type(exc).__name__}: {exc}", raw,
                                             origin(event), partition=here))
            # Off the event loop, so heartbeats and commits keep flowing while spaCy works.
            texts = [a.body_text for a, _, _ in accepted]
            parsed = await parse.parse(texts, settings.batch_words) if texts else []
            for (article, event, index), doc in zip(accepted, parsed, strict=True):
                key, here = article.id.encode(), event.message.partition
                if isinstance(doc, ParseFailed):
                    sends.append(dead_letter("nlp_failed", str(doc), event.value,
                                             origin(event), partition=here, article_id=article.id,
                                             stage="parse"))
                    continue
                record = article.to_dict()
                ref = Ref(id=article.id, instance=instance(event, index), source=origin(event))
                sends.append(topics.partial.send(key=key, partition=here,
                                                 value=Part(**ref, stage=ARTICLE, result=record)))
                sends.append(topics.parsed.send(key=key, partition=here,
                                                value=ParsedMessage(**ref, doc=doc.wire)))
                if doc.doc is not None:  # parsed in this process: its stage agents take the Doc
                    docs.hand_off(ref["instance"], doc.doc)
                elif doc.outcomes is not None:  # parsed in the child, which ran the stages too
                    child_outcomes.hand_off(ref["instance"], doc.outcomes)
            async with guard.step():
                for send in sends:
                    await send

    def stage_agent(stage: str, fn):
        async def run(stream):
            async for event in stream.events():
                msg: ParsedMessage = event.value
                ref = Ref(id=msg["id"], instance=msg["instance"], source=msg["source"])
                done = child_outcomes.take(ref["instance"], stage)
                if done is None:  # not run in the parse's child: here, on the Doc (rebuilt if need be)
                    done = run_stage(stage, lambda e: fn(docs.of(e)), event, about=f" on {ref['id']}")
                metrics.STAGE_SECONDS.labels(stage=stage).observe(done.seconds)
                part = (Part(**ref, stage=stage, result=done.result) if done.error is None
                        else Part(**ref, stage=stage, error=done.error))
                async with guard.step():
                    await topics.partial.send(key=event.key, value=part, partition=event.message.partition)

        run.__name__ = run.__qualname__ = f"stage_{stage}"
        return app.agent(topics.parsed, name=f"agents.pipeline.stage_{stage}")(run)

    stage_agents = {stage: stage_agent(stage, fn) for stage, fn in STAGES.items()}

    def held_parts(slot: str) -> dict[str, Part]:
        """The parts of ``slot`` the join table holds. Also the one-value-per-article form, which workers
        before the per-part keys wrote: an article half joined across an upgrade still comes out."""
        parts = dict(tables.parts[slot])
        for stage in PARTS:
            if (key := part_key(slot, stage)) in tables.parts:  # not .get(): the table's default is {}
                parts[stage] = tables.parts[key]
        return parts

    @app.agent(topics.partial, name="agents.pipeline.join")
    async def join(stream):
        """Hold partial results until all parts of an article are in, then publish one enriched record."""
        async for event in stream.events():
            async with guard.step():  # table changes and output commit with the offset
                part: Part = event.value
                here = event.message.partition
                slot = part["instance"]  # str: the changelog key is JSON
                if slot in finished:
                    continue
                parts = held_parts(slot)
                parts[part["stage"]] = part
                if not all(p in parts for p in PARTS):
                    # Each part under a key of its own: the changelog carries every part once, where
                    # one value per article re-sent the parts (the article's body too) with each new one.
                    tables.parts[part_key(slot, part["stage"])] = part
                    continue
                for stage in PARTS:
                    if (key := part_key(slot, stage)) in tables.parts:
                        del tables.parts[key]
                finished.add(slot)  # replaces the parts, in the same transaction as the output below
                failed = [p for p in parts.values() if "error" in p]
                article = parts[ARTICLE]["result"]
                if failed:
                    await dead_letter("stage_failed", failed[0]["error"], article["body_text"].encode(),
                                      part["source"], partition=here, article_id=part["id"],
                                      stage=failed[0]["stage"])
                    continue
                try:
                    results = {name: p["result"] for name, p in parts.items()}
                    record = assemble(article, results, enriched_at=utc_now())
                    # skipped stages, places, duplicates
                    record, ninjs_item = tables.finish(record, parts[ARTICLE])
                except Exception as exc:  # noqa: BLE001 - a crashed agent would skip the message: say why
                    log.exception("join failed on %s", part["id"])
                    await dead_letter("internal_error", f"join: {type(exc).__name__}: {exc}",
                                      article["body_text"].encode(), part["source"], partition=here,
                                      article_id=part["id"])
                    continue
                await topics.enriched.send(key=event.key, value=record, partition=here)
                await topics.ninjs.send(key=event.key, value=ninjs_item, partition=here)

    @app.agent(topics.enriched, name="agents.pipeline.trend")
    async def trend(stream):
        """Mention counts and sentiment per entity in 5-minute buckets, for GET /trending."""
        async for event in stream.events():
            async with guard.step():
                try:
                    msg = event.message
                    tables.trends.count(event.value, msg.partition, msg.timestamp or time.time())
                except Exception:  # noqa: BLE001 - a count is derived data; the article is already out
                    log.exception("trending failed on %s", event.value.get("id"))

    outcome_kinds = {topics.enriched.get_topic_name(): "enriched", topics.ninjs.get_topic_name(): "ninjs"}

    @app.agent(topics.outcomes, name="agents.pipeline.outcomes")
    async def outcomes(stream):
        """Count what came out and keep the newest records for the newsroom page. Consuming these topics
        also puts Faust's sends to them in its transactions."""
        async for event in stream.events():
            kind = outcome_kinds.get(event.message.topic, "deadletter")
            metrics.record_outcome(kind, event.value)
            try:
                recent.add(kind, event.value, event.message.partition)
            except Exception:  # noqa: BLE001 - the page's window is derived data
                log.exception("recent window failed on a %s record", kind)

    return Wiring(app, topics, tables, validate, stage_agents, join, trend, outcomes, recent)


def __getattr__(name: str):
    """``agents.pipeline.app`` for ``faust -A agents.pipeline worker``: the worker's app, built on first
    access (the one import against the layers, allowed in pyproject.toml's import contract)."""
    if name != "app":
        raise AttributeError(name)
    from streams.worker.app import worker_app

    return worker_app().app
