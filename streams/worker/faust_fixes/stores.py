"""A table partition that leaves the worker leaves its in-memory store: written keys too, not only recovered.

Faust's memory store (faust-streaming 0.15.3) drops, once a recovery completes, the keys of partitions no
longer active here, but it knows a key's partition only if it read the key from the changelog; keys the
worker wrote itself stay. Among them can be writes of a transaction that was never committed: a
partition that moved to another worker had its open transaction aborted by the new owner. If the
partition came back later, recovery replayed the committed changelog on top of those leftovers, and the
join found an article's "done" marker that was never committed, so it dropped the article's parts as
already joined and the article never came out. Now every write records its partition, so a partition's
keys leave with it and a returning partition is rebuilt from its committed changelog only.
"""

from faust.stores import memory
from faust.tables import base

_send_changelog = base.Collection.send_changelog  # Faust's own, kept before install() replaces it


def _send_changelog_recorded(self, partition, key, value, key_serializer=None, value_serializer=None):
    fut = _send_changelog(self, partition, key, value, key_serializer, value_serializer)
    store = self.data
    if isinstance(store, memory.Store):  # the partition is final here (eager_partitioning)
        if value is None:
            store._key_partition.pop(key, None)  # noqa: SLF001
        else:
            store._key_partition[key] = fut.message.partition  # noqa: SLF001
    return fut


def install() -> None:
    base.Collection.send_changelog = _send_changelog_recorded
