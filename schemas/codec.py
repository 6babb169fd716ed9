"""JSON on the wire, via orjson: every record wirestream writes to Kafka goes through ``dumps``; nothing
is ever pickled. The worker registers the same functions with Faust (streams/worker/codec.py)."""

from typing import Any

import orjson

#: The name Faust knows the codec by (topics' value_serializer).
CODEC = "orjson"


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
