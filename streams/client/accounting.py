"""Did every accepted article come out exactly once, enriched or dead-lettered?

The single checker of guarantee 1, used by the tests and by ``wirestream replay``: read the enriched and
dead-letter topics read_committed (what a downstream consumer sees), count each ``(topic, id)``, then
:meth:`Outcome.problems` names every id that is lost, duplicated, or both enriched and dead-lettered.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from streams.client.io import Reader
from streams.settings import topic_name


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

    def in_both(self) -> set:
        """Ids that were enriched *and* dead-lettered: one input, two outcomes."""
        return self.enriched.keys() & self.deadletters.keys()

    def seen(self) -> int:
        """How many records (with an id) were read so far."""
        return sum(self.counts.values())

    def problems(self, ids) -> dict:
        """Everything that breaks "each accepted id comes out exactly once"; empty when all is well."""
        found = {
            "lost": sorted(self.missing(ids)),
            "duplicated": sorted(f"{topic}:{rid}" for (topic, rid), _ in self.duplicates().items()),
            "enriched_and_deadlettered": sorted(self.in_both()),
        }
        return {kind: items for kind, items in found.items() if items}

    def add(self, topic: str, value: bytes, *, enriched: str, deadletter: str) -> None:
        record = orjson.loads(value)
        rid = record.get("id")
        if topic == enriched:
            self.enriched.setdefault(rid, record)
        elif topic == deadletter:
            if rid is None:
                self.anonymous_deadletters.append(record)
                return
            self.deadletters.setdefault(rid, record)
        else:
            return
        self.counts[(topic, rid)] += 1
        self.first_seen.setdefault(rid, time.monotonic())


async def collect(reader: Reader, ids: set, *, timeout: float, anonymous: int = 0, settle: float = 0.0,
                  prefix: str | None = None, outcome: Outcome | None = None,
                  until: Callable[[Outcome], bool] | None = None) -> Outcome:
    """Read enriched and dead-letter records until every id (and ``anonymous`` id-less dead letters)
    is accounted for, or ``timeout`` passes. ``settle`` keeps reading a little longer to catch duplicates.

    ``prefix`` names the topics (default: the configured prefix). ``outcome`` continues counting into an
    earlier result, and ``until`` returns early once it holds (e.g. to inject a fault mid-replay).
    """
    out = outcome if outcome is not None else Outcome()
    enriched, deadletter = topic_name("enriched", prefix), topic_name("deadletter", prefix)
    deadline = time.monotonic() + timeout
    done_at = None
    while time.monotonic() < deadline:
        if until is not None and until(out):
            break
        if done_at is None and not out.missing(ids) and len(out.anonymous_deadletters) >= anonymous:
            done_at = time.monotonic()
        if done_at is not None and time.monotonic() - done_at >= settle:
            break
        async for rec in reader.records(timeout=0.5):
            out.add(rec.topic, rec.value, enriched=enriched, deadletter=deadletter)
    return out
