"""Every topic wirestream reads or writes, declared on one app in one place.

Keys are article ids on every topic after ``articles.raw``, so the join inputs are co-partitioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from streams.settings import topic_name

#: Short names of the topics (``<prefix>articles.<short>``), in the order data flows.
SHORT_NAMES = ("raw", "parsed", "partial", "enriched", "deadletter", "ninjs")


@dataclass(frozen=True)
class Topics:
    #: Producers write here: JSON, ninjs, NITF, feeds or plain text, as raw bytes (validate decodes them).
    raw: faust.TopicT
    #: One message per valid article: its spaCy Doc, parsed once (the form: agents/stages/docwire.py).
    parsed: faust.TopicT
    #: Partial results of each stage (and the article itself), keyed by article id.
    partial: faust.TopicT
    #: One enriched record (schema v1) per article.
    enriched: faust.TopicT
    #: Whatever could not be processed, with the reason and the original bytes.
    deadletter: faust.TopicT
    #: The ninjs 2.2 projection of every enriched record (agents/enrichment/ninjs.py), keyed by article id.
    ninjs: faust.TopicT
    #: The worker reads its own outputs back (counting them), see agents/pipeline.py on transactions.
    outcomes: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, prefix: str) -> Topics:
        names = {short: topic_name(short, prefix) for short in SHORT_NAMES}
        declared = {short: app.topic(name) for short, name in names.items() if short != "raw"}
        return cls(raw=app.topic(names["raw"], value_serializer="raw"), **declared,
                   outcomes=app.topic(names["enriched"], names["deadletter"], names["ninjs"]))

    def by_short_name(self) -> dict[str, faust.TopicT]:
        return {short: getattr(self, short) for short in SHORT_NAMES}
