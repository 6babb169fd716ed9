"""Every Faust table of the topology, declared on one app in one place (:meth:`Tables.declare`).

* ``parts``: partial results per article instance, held by the join until every part is in;
* ``bands``, ``signatures``: the near-duplicate index (agents/enrichment/dedup.py says what they hold);
* ``trending``: mention counts per entity in 5-minute buckets (agents/enrichment/trending.py).

The near-duplicate index is two GlobalTables.

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

``recovery_buffer_size=1``: Faust applies changelog records read after recovery only once a buffer of
that many has filled (default 1000) or at the next rebalance. A GlobalTable reads the other workers'
writes that way, so with the default a worker did not see the articles another worker had indexed
(37 band records per article: about 27 articles went unseen, and 1000 for the signatures; found by
tests/system/test_workers_scaling.py). With 1, each record is applied as it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from agents.enrichment import finish as finishing
from agents.enrichment.trending import Trending


@dataclass(frozen=True)
class Tables:
    parts: faust.types.TableT
    bands: faust.types.TableT
    signatures: faust.types.TableT
    trending: faust.types.TableT
    #: Counts and windows over ``trending``; one per app, since it indexes the table's keys as it goes.
    trends: Trending

    @classmethod
    def declare(cls, app: faust.App, partitions: int) -> Tables:
        trending = app.Table("trending-5m", default=None, partitions=partitions)
        return cls(
            parts=app.Table("article-parts", default=dict, partitions=partitions),
            # recovery_buffer_size=1: see the module docstring.
            bands=app.GlobalTable("dedup-bands", default=None, partitions=partitions, recovery_buffer_size=1),
            signatures=app.GlobalTable("dedup-signatures", default=None, partitions=partitions,
                                       recovery_buffer_size=1),
            trending=trending,
            trends=Trending(trending),
        )

    def finish(self, record: dict, article_part: dict) -> tuple[dict, dict]:
        """agents.enrichment.finish over the worker's index (call it inside the join's event context)."""
        return finishing.finish(record, article_part, bands=self.bands, signatures=self.signatures)
