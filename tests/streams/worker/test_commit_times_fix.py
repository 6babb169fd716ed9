"""streams/worker/faust_fixes/commit_times.py: offsets committed in transactions count as commits for
Faust's livelock detector ("Has not committed TP(…) at all since worker start")."""

import asyncio
from time import monotonic
from types import SimpleNamespace

from faust.transport.consumer import TransactionManager
from faust.types import TP

from streams.worker import faust_fixes

RAW2, PARSED2 = TP("wirestream.articles.raw", 2), TP("wirestream.articles.parsed", 2)


def transaction_manager(committed: list):
    async def commit_transactions(by_transactional_id, group_id, start_new_transaction=True):
        committed.append(by_transactional_id)

    manager = TransactionManager.__new__(TransactionManager)  # the attributes commit() reads, no service
    manager.producer = SimpleNamespace(commit_transactions=commit_transactions)
    manager.app = SimpleNamespace(conf=SimpleNamespace(id="wirestream"),
                                  assignor=SimpleNamespace(group_for_topic=lambda topic: 0))
    manager.consumer = SimpleNamespace(_thread=SimpleNamespace(tp_last_committed_at={}))
    return manager


def test_a_transactional_commit_is_a_commit_for_the_livelock_detector():
    faust_fixes.apply()
    committed = []
    manager = transaction_manager(committed)
    before = monotonic()
    assert asyncio.run(manager.commit({RAW2: 8, PARSED2: 5}))
    assert committed == [{"wirestream-0-2": {RAW2: 8, PARSED2: 5}}]
    last = manager.consumer._thread.tp_last_committed_at
    assert set(last) == {RAW2, PARSED2}
    assert all(before <= at <= monotonic() for at in last.values())
