"""Begin a transaction after a rebalance only where none is open.

Faust (faust-streaming 0.15.3) commits every open transaction when partitions are revoked and begins a
new one straight away; the rebalance then "starts" the transactions of the partitions assigned, and
``maybe_begin_transaction``, despite its name, begins unconditionally. For every producer that kept its
partition the second begin fails ("Invalid state transition IN_TRANSACTION -> IN_TRANSACTION", logged
as a warning by Faust) and is ignored. Harmless, but it is the first thing an operator sees after every
rebalance; the transaction it wanted is already there, so skip it.
"""

from faust.transport.drivers import aiokafka as driver

_begin = driver.Producer.maybe_begin_transaction  # Faust's own, kept before install() replaces it


async def _maybe_begin_transaction(self, transactional_id: str) -> None:
    producer = self._transaction_producers.get(transactional_id)
    txn = getattr(producer, "_txn_manager", None)
    if txn is not None and txn.is_in_transaction():
        return
    await _begin(self, transactional_id)


def install() -> None:
    driver.Producer.maybe_begin_transaction = _maybe_begin_transaction
