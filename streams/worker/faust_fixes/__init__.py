"""Fixes to faust-streaming's exactly-once and rebalance bookkeeping, applied by one explicit call.

Each module replaces private Faust methods, so each is written for one Faust version; :func:`apply` refuses
any other version rather than patching code it has not been checked against (README, "Exactly-once").

* offsets: never process a message before its partition is sought, never commit past one not processed,
  no commit while a rebalance has left the committed offsets unknown, a partition never committed on
  read again from its start;
* rereads: a message fetched again after a seek is not dropped as "already read";
* buffer: a flush of the producer buffer waits for the table writes it is still sending;
* recovery: table recovery asks the broker for the changelogs' real end offsets;
* stores: a table partition that leaves the worker leaves its memory store, keys it wrote included;
* transactions: a worker's transactional producers are those of the partitions it actively processes;
* commit_times: Faust's livelock detector sees the offsets committed in transactions.
"""

from __future__ import annotations

FAUST_VERSION = "0.15.3"
_applied = False


class FaustVersionError(RuntimeError):
    """The installed faust-streaming is not the version these fixes were written for."""


def apply() -> None:
    """Install every fix (idempotent); call it before the Faust app is created."""
    global _applied
    if _applied:
        return
    import faust

    if faust.__version__ != FAUST_VERSION:
        raise FaustVersionError(f"faust-streaming {faust.__version__} is installed, but streams/worker/"
                                f"faust_fixes/ patches {FAUST_VERSION}: install faust-streaming=="
                                f"{FAUST_VERSION}")
    from streams.worker.faust_fixes import (
        buffer,
        commit_times,
        offsets,
        recovery,
        rereads,
        stores,
        transactions,
    )

    for fix in (offsets, rereads, buffer, recovery, stores, transactions, commit_times):
        fix.install()
    _applied = True
