"""Did every accepted article come out exactly once, enriched or dead-lettered?"""

import time
from collections import Counter
from dataclasses import dataclass, field

import orjson

from streams.config import topic_name
from streams.kafka_io import Reader


@dataclass
class Outcome:
    enriched: dict = field(default_factory=dict)  # id -> record
    deadletters: dict = field(default_factory=dict)  # id -> record
    anonymous_deadletters: list = field(default_factory=list)  # input that had no id
    counts: Counter = field(default_factory=Counter)  # (topic, id) -> times seen
    first_seen: dict = field(default_factory=dict)  # id -> monotonic time the outcome became readable

    def missing(self, ids) -> set:
        return {i for i in ids if i not in self.enriched and i not in self.deadletters}

    def duplicates(self) -> dict:
        return {key: n for key, n in self.counts.items() if n > 1}


async def collect(reader: Reader, ids: set, *, timeout: float, anonymous: int = 0,
                  settle: float = 0.0) -> Outcome:
    """Read enriched and dead-letter records until every id (and ``anonymous`` id-less dead letters)
    is accounted for, or ``timeout`` passes. ``settle`` keeps reading a little longer to catch duplicates.
    """
    out = Outcome()
    enriched, deadletter = topic_name("enriched"), topic_name("deadletter")
    deadline = time.monotonic() + timeout
    done_at = None
    while time.monotonic() < deadline:
        if done_at is None and not out.missing(ids) and len(out.anonymous_deadletters) >= anonymous:
            done_at = time.monotonic()
        if done_at is not None and time.monotonic() - done_at >= settle:
            break
        async for rec in reader.records(timeout=0.5):
            value = orjson.loads(rec.value)
            rid = value.get("id")
            if rec.topic == enriched:
                out.enriched.setdefault(rid, value)
            elif rec.topic == deadletter:
                if rid is None:
                    out.anonymous_deadletters.append(value)
                    continue
                out.deadletters.setdefault(rid, value)
            else:
                continue
            out.counts[(rec.topic, rid)] += 1
            out.first_seen.setdefault(rid, time.monotonic())
    return out
