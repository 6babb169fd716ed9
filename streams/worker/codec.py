"""schemas.codec registered with Faust, so topics declared with ``value_serializer="orjson"`` use it."""

from typing import Any

from faust.serializers import codecs

from schemas.codec import CODEC, dumps, loads


class OrjsonCodec(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj)

    def _loads(self, data: bytes) -> Any:
        return loads(data)


def register() -> None:
    """Idempotent: Faust's registry is a dict keyed by name."""
    codecs.register(CODEC, OrjsonCodec())
