"""Trending entities: windowed Faust tables of mentions and sentiment per canonical entity.

Two windows over the last hour, both relative to the enriched records' Kafka timestamps:
a hopping window (1 h wide, a new one every 5 min: "the last hour") and a tumbling one (this clock
hour). Each holds ``[mentions, articles, sentiment sum]`` per entity, so the mean sentiment is the sum
over the articles. Articles marked ``duplicate_of`` are not counted: one wire story republished by
twenty outlets is one story.

Keys carry the partition of the enriched record (``"<partition>|<label>|<name>"``): every table change
is written to the changelog partition of the record being processed (inside its transaction), so a
key must never be written from two partitions, or recovery would keep only one partition's count.
A worker's view (``GET /trending``) sums over the partitions it holds; with several workers,
``wirestream trending`` asks each and adds the answers up.
"""

from __future__ import annotations

from collections import defaultdict

from streams.app import app, settings

HOUR = 3600.0
STEP = 300.0
#: Entity types that make sense as trends (not dates, amounts or ordinals).
LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
WINDOWS = ("hopping", "tumbling")


def _add(total, value):
    total = total or [0, 0, 0.0]
    return [total[0] + value[0], total[1] + value[1], total[2] + value[2]]


def _table(name: str):
    return app.Table(name, default=list, partitions=settings.partitions)


tables = {
    "hopping": _table("trending-1h-hopping").hopping(HOUR, STEP, expires=HOUR + STEP, key_index=True),
    "tumbling": _table("trending-1h-tumbling").tumbling(HOUR, expires=2 * HOUR, key_index=True),
}


def contributions(record: dict) -> dict[tuple[str, str], list]:
    """``(label, name) -> [mentions, 1, sentiment score]`` for one enriched record."""
    if record.get("duplicate_of"):
        return {}
    return {(e["label"], e["name"]): [len(e["mentions"]), 1, float(e["sentiment"]["score"])]
            for e in record.get("entities", []) if e["label"] in LABELS}


def count(record: dict, partition: int) -> None:
    """Add one enriched record to every window (inside an agent's event context)."""
    for (label, name), value in contributions(record).items():
        key = f"{partition}|{label}|{name}"
        for table in tables.values():
            table[key].apply(_add, value)


def top(rows, limit: int) -> list[dict]:
    """Sum ``((label, name), [mentions, articles, sentiment sum])`` rows; the ``limit`` most mentioned."""
    totals: dict = defaultdict(lambda: [0, 0, 0.0])
    for entity, value in rows:
        totals[entity] = _add(totals[entity], value)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:limit]
    return [{"name": name, "label": label, "mentions": m, "articles": n,
             "mean_sentiment": round(s / n, 4) if n else 0.0} for (label, name), (m, n, s) in ranked]


def snapshot(kind: str, limit: int) -> list[dict]:
    """The current window of ``kind`` on this worker (its partitions), most mentioned first."""
    wrapper = tables[kind].relative_to_now()
    rows = []
    for key in list(wrapper.keys()):
        value = wrapper[key].now()
        if value:
            _, label, name = key.split("|", 2)
            rows.append(((label, name), value))
    return top(rows, limit)
