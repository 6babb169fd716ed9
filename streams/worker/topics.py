"""Every topic wirestream reads or writes, in one place.

Keys are article ids on every topic after ``articles.raw``, so the join inputs are co-partitioned.
"""

from streams.settings import topic_name
from streams.worker.app import app, settings


def name(short: str) -> str:
    return topic_name(short, settings.topic_prefix)


#: Producers write here: JSON, ninjs or plain text, as raw bytes (decoded by the validate agent).
raw = app.topic(name("raw"), value_serializer="raw")
#: One message per valid article: the article fields and the spaCy Doc as JSON (parsed once).
parsed = app.topic(name("parsed"))
#: Partial results of each stage (and the article itself), keyed by article id.
partial = app.topic(name("partial"))
#: One enriched record (schema v1) per article.
enriched = app.topic(name("enriched"))
#: Whatever could not be processed, with the reason and the original bytes.
deadletter = app.topic(name("deadletter"))
#: The ninjs 2.2 projection of every enriched record (agents/enrichment/ninjs.py), keyed by article id.
ninjs = app.topic(name("ninjs"))

#: The worker reads its own outputs back (counting them), see agents/pipeline.py on transactions.
outcomes = app.topic(name("enriched"), name("deadletter"), name("ninjs"))

ALL = {"raw": raw, "parsed": parsed, "partial": partial, "enriched": enriched, "deadletter": deadletter,
       "ninjs": ninjs}

SHORT_NAMES = tuple(ALL)
