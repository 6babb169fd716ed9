"""JSON on the wire, via orjson; registered with Faust as the "orjson" codec.

Every record wirestream writes to Kafka goes through ``dumps``; nothing is ever pickled.
"""

from typing import Any

import orjson
from faust.serializers import codecs

CODEC = "orjson"


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


class OrjsonCodec(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def _loads(self, data: bytes) -> Any:
        return orjson.loads(data)


codecs.register(CODEC, OrjsonCodec())
