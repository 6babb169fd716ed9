"""The worker's near-duplicate index: two Faust GlobalTables (agents/enrichment/dedup.py says what they hold).

Partitioning: copies of one story come from different outlets under different ids, so they land on
different partitions, and a partitioned table would only compare articles within one partition. The
index is therefore global: every worker keeps all of it, recovered from every changelog partition,
and reads it locally. Writes still go to the changelog partition of the article being processed
(Faust writes table changes to the partition of the current event), inside that partition's
transaction, so the index changes exactly once, with the outputs. The alternative, repartitioning by
LSH band key, would send each article to ~37 band partitions and back, leaving the partition-number
rule of agents/pipeline.py. The price: two copies processed at the same moment by two *different*
workers can miss each other until the changelog carries the first over (about a commit interval);
within one worker the check is exact. Memory: ~2.4 KB per indexed article (signature + 37 band keys),
kept without expiry for now.
"""

from __future__ import annotations

from agents.enrichment import finish as newsroom
from streams.worker.app import app, settings

bands = app.GlobalTable("dedup-bands", default=None, partitions=settings.partitions)
signatures = app.GlobalTable("dedup-signatures", default=None, partitions=settings.partitions)


def finish(record: dict, article_part: dict) -> tuple[dict, dict]:
    """agents.enrichment.finish.finish over the worker's tables (call it inside the join's event context)."""
    return newsroom.finish(record, article_part, bands=bands, signatures=signatures)
