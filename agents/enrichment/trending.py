"""Trending entities: mentions and sentiment per canonical entity in 5-minute buckets, summed at query time.

One plain Faust table holds ``[mentions, articles, sentiment sum]`` per entity and bucket (5 minutes of
the enriched records' Kafka timestamps), so the mean sentiment is the sum over the articles. Two views
are sums of buckets: ``hopping`` ("the last hour": the current bucket and the 11 before it) and
``tumbling`` (this clock hour). Articles marked ``duplicate_of`` are not counted: one wire story
republished by twenty outlets is one story.

Why not Faust's windowed tables: a 1 h hopping window with a 5 min step writes each count into 12
windows plus a key index, about 230 changelog records per article; buckets write one per entity.

Keys carry the partition of the enriched record (``"<partition>|<bucket>|<label>|<name>"``): every
table change is written to the changelog partition of the record being processed (inside its
transaction), so a key must never be written from two partitions, or recovery would keep only one
partition's count. Buckets older than two hours are deleted while that partition's records flow.
A worker's view (``GET /trending``) sums over the partitions it holds; with several workers,
``wirestream trending`` asks each and adds the answers up. Pure: :class:`Trending` works over whatever
mapping it is given (the worker's Faust table, agents/tables.py; a dict in tests).
"""

from __future__ import annotations

import time
from collections import defaultdict

BUCKET = 300.0
HOUR_BUCKETS = 12  # 1 h / 5 min
#: Entity types that make sense as trends (not dates, amounts or ordinals).
LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
WINDOWS = ("hopping", "tumbling")



def bucket_of(timestamp: float) -> int:
    return int(timestamp // BUCKET)


def _add(total, value):
    total = total or [0, 0, 0.0]
    return [total[0] + value[0], total[1] + value[1], total[2] + value[2]]


def _parse(key: str) -> tuple[int, int, str, str]:
    partition, bucket, label, name = key.split("|", 3)
    return int(partition), int(bucket), label, name


def contributions(record: dict) -> dict[tuple[str, str], list]:
    """``(label, name) -> [mentions, 1, sentiment score]`` for one enriched record."""
    if record.get("duplicate_of"):
        return {}
    return {(e["label"], e["name"]): [len(e["mentions"]), 1, float(e["sentiment"]["score"])]
            for e in record.get("entities", []) if e["label"] in LABELS}


def _window(kind: str, now: float) -> range:
    current = bucket_of(now)
    if kind == "hopping":
        return range(current - HOUR_BUCKETS + 1, current + 1)
    return range(bucket_of(now - now % (HOUR_BUCKETS * BUCKET)), current + 1)  # this clock hour


def top(rows, limit: int) -> list[dict]:
    """Sum ``((label, name), [mentions, articles, sentiment sum])`` rows; the ``limit`` most mentioned."""
    totals: dict = defaultdict(lambda: [0, 0, 0.0])
    for entity, value in rows:
        totals[entity] = _add(totals[entity], value)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:limit]
    return [{"name": name, "label": label, "mentions": m, "articles": n,
             "mean_sentiment": round(s / n, 4) if n else 0.0} for (label, name), (m, n, s) in ranked]


def rows_in(items, kind: str, now: float, partitions):
    """The ``((label, name), value)`` rows of ``(key, value)`` items of ``partitions`` that fall in
    window ``kind``."""
    window = _window(kind, now)
    for key, value in items:
        partition, bucket, label, name = _parse(key)
        if value and bucket in window and partition in partitions:
            yield (label, name), value


class Trending:
    """Counts and windows over ``table`` (key ``"<partition>|<bucket>|<label>|<name>"`` ->
    ``[mentions, articles, sentiment sum]``)."""

    def __init__(self, table):
        self.table = table
        #: partition -> bucket -> keys written, so expiry need not scan the table (built on first use).
        self._index: dict[int, dict[int, set[str]]] = {}

    def _buckets(self, partition: int) -> dict[int, set[str]]:
        buckets = self._index.get(partition)
        if buckets is None:  # first use since start: keys recovered from the changelog count too
            buckets = self._index[partition] = defaultdict(set)
            for key in list(self.table.keys()):
                p, b, _, _ = _parse(key)
                if p == partition:
                    buckets[b].add(key)
        return buckets

    def count(self, record: dict, partition: int, timestamp: float) -> None:
        """Add one enriched record to its bucket and expire old buckets of ``partition`` (in the worker,
        call it inside an agent's event context for that partition: the writes go to its changelog
        partition)."""
        bucket = bucket_of(timestamp)
        buckets = self._buckets(partition)
        for (label, name), value in contributions(record).items():
            key = f"{partition}|{bucket}|{label}|{name}"
            self.table[key] = _add(self.table.get(key), value)
            buckets[bucket].add(key)
        for old in [b for b in buckets if b <= bucket - 2 * HOUR_BUCKETS]:  # kept 2 h: late records
            for key in buckets.pop(old):
                del self.table[key]

    def snapshot(self, kind: str, limit: int, partitions, now: float | None = None) -> list[dict]:
        """The current window of ``kind`` over ``partitions`` (the ones this worker holds: a standby copy
        of another worker's partitions lives in the same table, and must not be counted twice)."""
        rows = rows_in(list(self.table.items()), kind, time.time() if now is None else now, set(partitions))
        return top(rows, limit)
