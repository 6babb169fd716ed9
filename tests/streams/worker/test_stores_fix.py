"""streams/worker/faust_fixes/stores.py: keys a worker wrote leave its memory store with their partition."""

import asyncio
from types import SimpleNamespace

from faust.stores import memory

from streams.worker import faust_fixes
from streams.worker.faust_fixes import stores


class FakeTable:
    """The part of a Faust table that sends changelog records, over a real memory store."""

    def __init__(self):
        self.data = memory.Store.__new__(memory.Store)
        self.data.__post_init__()


def send(partition: int):
    def faust_send_changelog(self, partition_, key, value, key_serializer=None, value_serializer=None):
        return SimpleNamespace(message=SimpleNamespace(partition=partition))
    return faust_send_changelog


def test_written_keys_are_dropped_with_their_partition_when_it_leaves():
    faust_fixes.apply()
    table = FakeTable()
    original = stores._send_changelog
    try:
        for key, partition in (("0:5#article", 0), ("0:5", 0), ("1:7#article", 1)):
            stores._send_changelog = send(partition)
            table.data.data[key] = {"x": 1}  # what the table's __setitem__ stores, then on_key_set sends
            stores._send_changelog_recorded(table, None, key, {"x": 1})
        stores._send_changelog = send(0)
        del table.data.data["0:5#article"]
        stores._send_changelog_recorded(table, None, "0:5#article", None)
    finally:
        stores._send_changelog = original
    # Partition 0 moved to another worker; recovery completes with only partition 1 active here.
    asyncio.run(table.data.on_recovery_completed({("changelog", 1)}, set()))
    assert dict(table.data.data) == {"1:7#article": {"x": 1}}
