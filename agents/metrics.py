"""Prometheus metrics of one worker process, served as ``GET /metrics`` (streams/worker/web.py).

Counters are per process (Prometheus sums them across workers). Articles *in* are counted where the
validate agent reads them, articles *out* and dead letters where ``outcomes`` reads them back
(committed records only, so a retried transaction is not counted twice). Consumer lag is read from the
Faust consumer at scrape time: end offset (last stable offset under exactly-once) minus the committed
position, per assigned partition (transaction markers take offsets too: an idle partition may show 1).
"""

from __future__ import annotations

import functools
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

STAGE_SECONDS = Histogram(
    "wirestream_stage_seconds", "Time spent in one pipeline stage (parse is per batch of articles)",
    ["stage"], registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RAW_MESSAGES = Counter("wirestream_raw_messages_total", "Raw messages read from articles.raw",
                       registry=REGISTRY)
ARTICLES_IN = Counter("wirestream_articles_in_total", "Articles found in raw messages (a feed holds several)",
                      ["language"], registry=REGISTRY)
ARTICLES_OUT = Counter("wirestream_articles_out_total", "Records written, by output topic",
                       ["topic"], registry=REGISTRY)
DEADLETTERS = Counter("wirestream_deadletters_total", "Dead letters written, by reason", ["reason"],
                      registry=REGISTRY)
DUPLICATES = Counter("wirestream_duplicates_total", "Enriched articles marked as near-duplicates",
                     registry=REGISTRY)
INGESTED = Counter("wirestream_http_ingested_total", "Articles accepted by POST /articles", registry=REGISTRY)
END_TO_END_SECONDS = Histogram(
    "wirestream_end_to_end_seconds", "From received_at to enriched_at of each enriched record",
    registry=REGISTRY, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
CONSUMER_LAG = Gauge("wirestream_consumer_lag", "Records not yet committed by this worker",
                     ["topic", "partition"], registry=REGISTRY)


def timed(stage: str, fn):
    """``fn`` wrapped to observe its duration in ``wirestream_stage_seconds{stage=...}``."""
    hist = STAGE_SECONDS.labels(stage=stage)

    @functools.wraps(fn)
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            hist.observe(time.perf_counter() - start)

    return run


def count_in(item) -> None:
    """One article (or invalid item) found in a raw message, by language: the primary subtag only, so
    label values stay few; "unknown" when undetected or invalid."""
    language = getattr(item, "language", None) or "unknown"
    ARTICLES_IN.labels(language=language.lower().split("-")[0][:8]).inc()


def record_outcome(kind: str, value) -> None:
    """Count one record read back by the outcomes agent (kind: enriched, deadletter, ninjs)."""
    if kind == "deadletter":
        reason = value.get("reason") if isinstance(value, dict) else None
        DEADLETTERS.labels(reason=str(reason or "unknown")[:64]).inc()
    else:
        ARTICLES_OUT.labels(topic=kind).inc()
        if kind == "enriched" and isinstance(value, dict):
            if value.get("duplicate_of"):
                DUPLICATES.inc()
            try:
                took = _seconds(value["enriched_at"]) - _seconds(value["received_at"])
            except (KeyError, TypeError, ValueError):
                return
            END_TO_END_SECONDS.observe(max(0.0, took))


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def consumer_lag(app) -> list[dict] | None:
    """``{"topic", "partition", "lag"}`` per assigned partition of the worker's consumer (changelogs
    left out), or None before it has an assignment."""
    try:
        consumer = app.consumer
        tps = [tp for tp in consumer.assignment() if not tp.topic.endswith("-changelog")]
        ends = await consumer.highwaters(*tps) if tps else {}
    except Exception:  # noqa: BLE001 - not started or rebalancing: report nothing rather than fail
        return None
    found = []
    for tp in sorted(tps):
        # Faust's committed offset is the next one to read (Kafka's convention); before the first commit
        # since the assignment, the fetch position stands in. Neither has a public accessor.
        done = consumer._committed_offset.get(tp)  # noqa: SLF001
        if done is None:
            try:
                done = await consumer.position(tp)
            except Exception:  # noqa: BLE001
                continue
        end = ends.get(tp)
        if end is not None and done is not None:
            found.append({"topic": tp.topic, "partition": tp.partition, "lag": max(0, end - done)})
    return found


async def update_lag(app) -> None:
    """Refresh the lag gauges from the worker's consumer (no-op before it has an assignment)."""
    found = await consumer_lag(app)
    if found is None:
        return
    CONSUMER_LAG.clear()
    for row in found:
        CONSUMER_LAG.labels(topic=row["topic"], partition=str(row["partition"])).set(row["lag"])


def exposition() -> bytes:
    return generate_latest(REGISTRY)
