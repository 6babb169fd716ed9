"""streams/worker/faust_fixes/transactions.py: a worker's transactional producers are those of the
partitions it actively processes, and a producer whose sender died is replaced, never reused."""

import asyncio
import logging

import pytest
from aiokafka.producer.transaction_manager import TransactionState

from streams.worker import faust_fixes
from streams.worker.faust_fixes import transactions


@pytest.fixture(autouse=True, scope="module")
def fixes_installed():
    faust_fixes.apply()


class FakeTxn:
    """aiokafka's TransactionManager as far as the fix reads it."""

    def __init__(self, state: TransactionState):
        self.state = state

    def is_in_transaction(self) -> bool:
        return self.state == TransactionState.IN_TRANSACTION


class FakeProducer:
    def __init__(self, tid: str, state: TransactionState):
        self._txn_manager = FakeTxn(state)
        self.stopped = False


class FakeDriverProducer:
    """The part of Faust's aiokafka Producer that holds one transactional producer per id."""

    def __init__(self, producers: dict):
        self._transaction_producers = producers
        self.begun: list[str] = []

    async def stop_transaction(self, tid: str) -> None:
        self._transaction_producers.pop(tid).stopped = True

    async def begin_transaction(self, tid: str) -> None:  # what Faust's maybe_begin_transaction calls
        self.begun.append(tid)
        self._transaction_producers.setdefault(tid, FakeProducer(tid, TransactionState.IN_TRANSACTION))


class FakeTransactionManager:
    """Faust's TransactionManager as its on_rebalance uses it; partition p is processed under id "g-0-p"."""

    log = logging.getLogger("fake-transaction-manager")

    def __init__(self, producer: FakeDriverProducer, standby: set):
        self.producer = producer
        self.standby = standby

    def _tps_to_transactional_ids(self, tps) -> set:
        return {f"g-0-{p}" for p in tps if p not in self.standby}

    async def _stop_transactions(self, tids) -> None:
        for tid in tids:
            await self.producer.stop_transaction(tid)

    async def _start_transactions(self, tids) -> None:
        for tid in tids:
            await transactions._maybe_begin_transaction(self.producer, tid)


def test_a_partition_kept_as_a_standby_has_its_producer_stopped():
    # Worker had partitions 0-3; now 2 and 3 are active here, 0 and 1 are this worker's standbys.
    old = {f"g-0-{p}": FakeProducer(f"g-0-{p}", TransactionState.IN_TRANSACTION) for p in range(4)}
    producer = FakeDriverProducer(dict(old))
    manager = FakeTransactionManager(producer, standby={0, 1})
    asyncio.run(transactions._on_rebalance_by_active_partitions(manager, {0, 1, 2, 3}, set(), set()))
    assert sorted(producer._transaction_producers) == ["g-0-2", "g-0-3"]
    assert old["g-0-0"].stopped and old["g-0-1"].stopped
    assert producer.begun == []  # the kept ones are in their transaction already


def test_faust_alone_keeps_the_producer_of_a_partition_kept_as_a_standby():
    producer = FakeDriverProducer({f"g-0-{p}": FakeProducer(f"g-0-{p}", TransactionState.IN_TRANSACTION)
                                   for p in range(4)})
    manager = FakeTransactionManager(producer, standby={0, 1})
    revoked = {0, 1}  # what Faust passes: the partitions no longer active here
    asyncio.run(transactions._on_rebalance(manager, {2, 3}, revoked, set()))
    assert sorted(producer._transaction_producers) == ["g-0-0", "g-0-1", "g-0-2", "g-0-3"]


def test_a_producer_whose_sender_died_is_replaced_not_reused():
    dead = FakeProducer("g-0-0", TransactionState.FATAL_ERROR)
    producer = FakeDriverProducer({"g-0-0": dead})
    asyncio.run(transactions._maybe_begin_transaction(producer, "g-0-0"))
    assert dead.stopped
    assert producer._transaction_producers["g-0-0"] is not dead
    assert producer.begun == ["g-0-0"]
