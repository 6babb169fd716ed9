"""Transactional producers follow the active partitions: stopped when a partition goes, fresh when it returns.

Faust (faust-streaming 0.15.3) keeps one transactional producer per partition number. On a rebalance it
stops those of the revoked partitions, but it picks them with ``assignor.is_standby``, and the standby
set holds every topic of a standby partition, its source topics included. With standby replicas (Faust's
default: 1) a partition that moves to another worker usually stays here as a standby, so its producer
was never stopped (no "Stopping N transactional producers" line in any of our worker logs, though
partitions move in every multi-worker test). The new owner's producer takes the transactional id and
bumps its epoch, which fences ours without our producer knowing: it still reports IN_TRANSACTION. When
the partition came back, Faust's begin of that producer failed ("Invalid state transition
IN_TRANSACTION -> IN_TRANSACTION", a warning) and the fenced producer was used again: its first send
failed with ProducerFenced, which kills aiokafka's sender, and every send after that raised
``IllegalOperation: Can't send messages while not in transaction``. Seen in
tests/system/test_workers_scaling.py: the table changelog buffer crashed the worker (ProducerFenced a few
seconds after the stopped worker's partitions moved), or the validate agent crashed on a whole batch
(8 of 50 articles lost after a worker was SIGKILLed while another joined).

Now every producer whose partition is not actively assigned here after a rebalance is stopped (the new
owner's first transaction aborts whatever it had open), and a producer is begun only if it is usable:
one in a transaction already is kept as it is (Faust began it right after its last commit, and a
partition kept through a rebalance keeps its transaction), one whose sender died of an error is
replaced.
"""

import logging

from aiokafka.producer.transaction_manager import TransactionState
from faust.transport import consumer
from faust.transport.drivers import aiokafka as driver

log = logging.getLogger(__name__)

# Faust's own, kept before install() replaces them.
_begin = driver.Producer.maybe_begin_transaction
_on_rebalance = consumer.TransactionManager.on_rebalance

_BROKEN = (TransactionState.ABORTABLE_ERROR, TransactionState.FATAL_ERROR)


async def _maybe_begin_transaction(self, transactional_id: str) -> None:
    producer = self._transaction_producers.get(transactional_id)
    txn = getattr(producer, "_txn_manager", None)
    if txn is not None and txn.state in _BROKEN:
        log.warning("replacing transactional producer %s: its transaction is in state %s",
                    transactional_id, txn.state.name)
        await self.stop_transaction(transactional_id)
    elif txn is not None and txn.is_in_transaction():
        return
    await _begin(self, transactional_id)


async def _on_rebalance_by_active_partitions(self, assigned, revoked, newly_assigned):
    active = self._tps_to_transactional_ids(assigned)  # the ids of the partitions this worker processes
    gone = sorted(set(self.producer._transaction_producers) - active)
    if gone:
        log.info("Stopping %d transactional producers of partitions processed elsewhere now: %s",
                 len(gone), ", ".join(gone))
        await self._stop_transactions(gone)
    # Faust's own: nothing left to stop; begins the producers of the assigned partitions.
    await _on_rebalance(self, assigned, set(), newly_assigned)


def install() -> None:
    driver.Producer.maybe_begin_transaction = _maybe_begin_transaction
    consumer.TransactionManager.on_rebalance = _on_rebalance_by_active_partitions
