"""The newsroom page's memory: a bounded window of the latest enriched records per partition, the
articles/s of the last minutes and the dead letters by reason (fed by the ``outcomes`` agent).

Records are kept as their orjson bytes beside their list summary (the seed's enriched record is
14.5 KB as bytes, 70 KB as Python dicts and lists: measured with tracemalloc), newest last, at most
:data:`PER_PARTITION` records and :data:`BYTES_PER_PARTITION` bytes per partition, whichever comes
first (the oldest go first): so at most 4 MiB (+ ~0.4 KB of summary per record) per partition,
``WIRESTREAM_PARTITIONS`` x 4.1 MiB for a worker that owns them all; 800 seed-sized records on
4 partitions hold 12 MB (tracemalloc). Queries
take the partitions the worker owns now (a partition that moved away stops showing at once and its
window is dropped when the next query sees it gone). Rates and dead-letter counts are of this process
since it started, which is what an operator watching one worker wants; ``wirestream web`` sums them.
Pure: no Faust, no Kafka (tests feed it dicts).
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict, deque

import orjson

PER_PARTITION = 200
BYTES_PER_PARTITION = 4 * 1024 * 1024
RATE_STEP = 10  # seconds per articles/s bucket
RATE_STEPS = 60  # 10 minutes of buckets


def summary(record: dict, partition: int | None = None) -> dict:
    """What the page's list shows of one enriched record."""
    out = {"id": record.get("id"), "headline": record.get("headline"),
           "received_at": record.get("received_at"), "enriched_at": record.get("enriched_at"),
           "language": record.get("language"), "entities": len(record.get("entities") or ()),
           "quotes": len(record.get("quotes") or ()), "duplicate_of": record.get("duplicate_of"),
           "sentiment": (record.get("sentiment") or {}).get("score")}
    if partition is not None:
        out["partition"] = partition
    return out


class _Window:
    """One partition's records: id -> encoded record, oldest first."""

    __slots__ = ("records", "size")

    def __init__(self) -> None:
        self.records: OrderedDict[str, tuple[dict, bytes]] = OrderedDict()
        self.size = 0

    def add(self, key: str, brief: dict, data: bytes) -> None:
        old = self.records.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        self.records[key] = (brief, data)
        self.size += len(data)
        while self.records and (len(self.records) > PER_PARTITION or self.size > BYTES_PER_PARTITION):
            _, (_, dropped) = self.records.popitem(last=False)
            self.size -= len(dropped)


class Recent:
    """The bounded window of recent records (see the module docstring for the bounds)."""

    def __init__(self, clock=time.time) -> None:
        self.clock = clock
        self._windows: dict[int, _Window] = {}
        self._rate: deque[list[int]] = deque(maxlen=RATE_STEPS)  # [bucket, enriched count]
        self.deadletters: Counter[str] = Counter()

    def add(self, kind: str, value, partition: int) -> None:
        """One record read back by the outcomes agent (kind: enriched, ninjs, deadletter)."""
        if kind == "deadletter":
            reason = value.get("reason") if isinstance(value, dict) else None
            self.deadletters[str(reason or "unknown")[:64]] += 1
            return
        if kind != "enriched" or not isinstance(value, dict) or not value.get("id"):
            return
        window = self._windows.setdefault(partition, _Window())
        # A copy: orjson's buffer keeps its spare capacity (measured: 32 KB held for 14.5 KB of JSON).
        window.add(str(value["id"]), summary(value, partition), bytes(memoryview(orjson.dumps(value))))
        bucket = int(self.clock() // RATE_STEP)
        if self._rate and self._rate[-1][0] == bucket:
            self._rate[-1][1] += 1
        else:
            self._rate.append([bucket, 1])

    def _owned(self, partitions) -> list[tuple[int, _Window]]:
        owned = set(partitions)
        for gone in [p for p in self._windows if p not in owned]:
            del self._windows[gone]
        return [(p, w) for p, w in self._windows.items() if p in owned]

    def latest(self, partitions, limit: int = 50) -> list[dict]:
        """Summaries of the newest ``limit`` records of ``partitions``, newest first (by enriched_at)."""
        found = []
        for _, window in self._owned(partitions):
            found.extend(brief for brief, _ in list(window.records.values())[-limit:])
        found.sort(key=lambda s: s.get("enriched_at") or "", reverse=True)
        return found[:limit]

    def get(self, article_id: str, partitions) -> dict | None:
        """The full record of ``article_id`` if it is in the window of one of ``partitions``."""
        for _, window in self._owned(partitions):
            kept = window.records.get(article_id)
            if kept is not None:
                return orjson.loads(kept[1])
        return None

    def rate(self) -> dict:
        """Enriched articles per ``step`` seconds over the last minutes (zeros filled in), oldest first."""
        now = int(self.clock() // RATE_STEP)
        counts = {b: n for b, n in self._rate}
        return {"step": RATE_STEP,
                "series": [[b * RATE_STEP, counts.get(b, 0)] for b in range(now - RATE_STEPS + 1, now + 1)]}

    def memory(self) -> dict:
        return {"records": sum(len(w.records) for w in self._windows.values()),
                "bytes": sum(w.size for w in self._windows.values()),
                "per_partition": PER_PARTITION, "bytes_per_partition": BYTES_PER_PARTITION}
